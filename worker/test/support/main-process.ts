/**
 * The real worker process (worker/src/main.ts, configured by environment as in production) for tests that need
 * its whole start-up path, logs and health port: its stdout is parsed as pino JSON lines that a test can await,
 * and every byte it writes is kept (to check that nothing secret leaks).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "../../../infra/runtime/free-port";

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const children: ChildProcess[] = [];

/** SIGKILLs every process startWorkerProcess started (call it in afterEach). */
export async function stopWorkerProcesses(): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill("SIGKILL");
    await once(child, "exit");
  }
}

/** Starts main.ts serving the noop queue, its health port on a free port; `env` overrides anything. */
export async function startWorkerProcess(redisUrl: string, env: Record<string, string> = {}) {
  const healthPort = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../../src/main.ts")], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      WORKER_QUEUES: "noop",
      HEALTH_PORT: String(healthPort),
      HEALTH_HOST: "127.0.0.1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: LogLine[] = [];
  let output = "";
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (text) => {
    output += `${text}\n`;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`worker exited (${code}): ${output.slice(-2_000)}`);
  });
  exited.catch(() => {});
  return {
    process: child,
    lines,
    healthUrl: `http://127.0.0.1:${healthPort}`,
    output: () => output,
    /** The first line (already seen or to come) that matches; rejects if the process exits first. */
    line(match: (line: LogLine) => boolean): Promise<LogLine> {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return Promise.race([new Promise<LogLine>((resolve) => waiters.push({ match, resolve })), exited]);
    },
    async health(): Promise<{ status: number; body: Record<string, string> }> {
      const response = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    },
    async metrics(): Promise<string> {
      const response = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
      return response.text();
    },
  };
}
