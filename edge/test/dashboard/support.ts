/**
 * What the dashboard's browser tests share: Debian's Chromium driven by playwright-core (no browser download;
 * `.ci/run` installs the package), screenshots as git-ignored artifacts, sign-in, and the real worker process
 * of fixtures/noop-worker.ts.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { expect } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = resolve(import.meta.dirname, "../../../.artifacts/screenshots");

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Saves `<name>.png` under .artifacts/screenshots/: the viewport (1280×800 on desktop), or the whole page. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: options.fullPage ?? false });
}

export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard/sign-in`);
  await page.getByLabel("Admin API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Fails the test on any script error or CSP violation the page reports. */
export function watchConsole(page: Page, problems: string[]): void {
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
}

export interface NoopWorker {
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startNoopWorker(env: Record<string, string>): Promise<NoopWorker> {
  const child = fork(join(import.meta.dirname, "fixtures/noop-worker.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  await Promise.race([
    new Promise<void>((ready) => child.on("message", (message: { type?: string }) => message.type === "ready" && ready())),
    exited.then(([code]) => Promise.reject(new Error(`noop worker exited with ${code} before it was ready`))),
  ]);
  return {
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export const expectNoProblems = (problems: string[]) => expect(problems).toEqual([]);

const AUDIT_SCRIPT = readFileSync(join(import.meta.dirname, "fixtures/audit-page.js"), "utf8");

/**
 * What a page gets wrong for a person reading it (fixtures/audit-page.js, run in the page): sideways scrolling at
 * the current viewport, unnamed controls, text below AA contrast. One line per problem.
 */
export function auditPage(page: Page): Promise<string[]> {
  return page.evaluate(AUDIT_SCRIPT) as Promise<string[]>;
}
