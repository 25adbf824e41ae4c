/**
 * The dashboard in a real headless Chromium, against the Worker in workerd, a real redis-server and a real
 * worker process serving `noop` (fixtures/noop-worker.ts). The tests run in order and share one stack: the
 * first builds a queue with a job in every state, later ones replay, pause and resume it.
 * Screenshots of every screen go to .artifacts/screenshots/ (git-ignored).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { queueKeys } from "../../../shared/src/index";
import { waitFor } from "../../../infra/test/wait-for";
import { ADMIN_KEY, PRODUCER_KEY, startEdgeStack, type EdgeStack } from "../harness";
import { FAIL_KEY, RELEASE_KEY } from "./fixtures/noop-worker";
import { auditPage, DESKTOP, launchChromium, PHONE, screenshot, signIn, startNoopWorker, watchConsole, type NoopWorker } from "./support";

// No double quotes: the payload is shown as JSON, which would escape them.
const XSS_PAYLOAD = "<img src=x onerror=window.__offloadXss=1>";
const XSS_ERROR = "<img src=x onerror=window.__offloadXssError=1> went wrong";

let stack: EdgeStack;
let worker: NoopWorker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
/** Every request any page made to another origin than the Worker's (none: no CDN, no web font, no beacon). */
const elsewhere: string[] = [];
const jobs: Record<"dead" | "completed" | "xss" | "active" | "waiting" | "cancelled" | "delayed", string> = {} as never;

const noop = queueKeys("noop");

async function enqueue(data: unknown, query = ""): Promise<string> {
  const response = await stack.request(`/v1/jobs/noop${query}`, { method: "POST", json: data });
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function stateOf(id: string): Promise<string | undefined> {
  const response = await stack.request(`/v1/jobs/${id}`);
  return response.ok ? ((await response.json()) as { state: string }).state : undefined;
}

const untilState = (id: string, state: string) =>
  waitFor(async () => ((await stateOf(id)) === state ? true : undefined), { timeoutMs: 20_000, what: `${id} to be ${state}` });

/**
 * 24 h of per-minute history (what settle, claim and tick write) for a queue no worker serves, so nothing
 * overwrites it: busy sparklines, and a waiting depth that rose in each of the last 10 minutes.
 */
async function seedHistory(queue: string): Promise<void> {
  const keys = queueKeys(queue);
  const now = Math.floor(Date.now() / 60_000);
  const pipeline = stack.io.pipeline();
  for (let ago = 1_439; ago >= 0; ago--) {
    const minute = now - ago;
    // A daily swell with a faster ripple on top, so both the 24 h and the 1 h lines have a shape.
    const completed = Math.round(30 + 18 * Math.sin((2 * Math.PI * ago) / 1_440) + 6 * Math.sin(ago / 6)) + (ago % 3);
    const failed = ago % 9 === 0 ? 4 : ago % 4 === 0 ? 1 : 0;
    // Waiting depth rises every minute of the last 10 minutes (11 samples), flat before.
    const waiting = ago <= 10 ? 40 + (11 - ago) * 7 : 30;
    pipeline.hset(keys.history(minute), { completed, failed, waiting, runSum: completed * 40, runCount: completed });
    pipeline.pexpire(keys.history(minute), 24 * 3_600_000);
  }
  await pipeline.exec();
}

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" } });
  worker = await startNoopWorker({ REDIS_URL: stack.redisServer.url });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: DESKTOP });
  context.setDefaultTimeout(10_000);
  context.on("request", (request) => {
    const url = new URL(request.url());
    if ((url.protocol === "http:" || url.protocol === "https:") && url.origin !== stack.url) elsewhere.push(request.url());
  });
  page = await context.newPage();
  watchConsole(page, problems);
  page.on("dialog", (dialog) => void dialog.accept());
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await stack?.stop();
});

describe("dashboard", () => {
  test("a producer key is refused; an admin key signs in with an HttpOnly, SameSite=Strict session cookie", async () => {
    const response = await page.goto(`${stack.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await screenshot(page, "sign-in");

    await signIn(page, stack.url, PRODUCER_KEY);
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not an admin key");
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    expect(await context.cookies()).toEqual([]);

    await signIn(page, stack.url, ADMIN_KEY);
    await page.getByRole("heading", { name: "Queues", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "offload_session", httpOnly: true, sameSite: "Strict", secure: false, path: "/dashboard" });
    expect(cookie!.value).not.toContain(ADMIN_KEY);
    expect(await page.content()).not.toContain(ADMIN_KEY);
  });

  test("a queue with a job in every state", async () => {
    await stack.io.set(FAIL_KEY, "1");
    jobs.dead = await enqueue({ fail: true, message: XSS_ERROR }, "?maxAttempts=1");
    await untilState(jobs.dead, "dead");
    jobs.completed = await enqueue({ hello: "world" });
    jobs.xss = await enqueue({ html: XSS_PAYLOAD });
    await untilState(jobs.xss, "completed");
    // A long timeout: the job is held across several tests, longer than noop's default 10 s.
    jobs.active = await enqueue({ hold: true }, "?timeout=5m");
    await untilState(jobs.active, "active");
    jobs.waiting = await enqueue({ n: 1 });
    jobs.cancelled = await enqueue({ n: 2 });
    expect((await stack.request(`/v1/jobs/${jobs.cancelled}`, { method: "DELETE" })).status).toBe(200);
    jobs.delayed = await enqueue({ n: 3 }, "?delay=1h");
    await seedHistory("webhook");

    await page.goto(`${stack.url}/dashboard`);
    const card = page.locator('[data-queue="noop"]');
    await expect.poll(() => card.locator('[data-count="dead"]').textContent()).toBe("1");
    expect(await card.locator('[data-count="waiting"]').textContent()).toBe("1");
    expect(await card.locator('[data-count="active"]').textContent()).toBe("1");
    expect(await card.locator('[data-count="delayed"]').textContent()).toBe("1");
    expect(await card.textContent()).toContain("1 worker online");
    expect(await card.locator(".warning").count()).toBe(0);
    const webhook = page.locator('[data-queue="webhook"]');
    expect(await webhook.getByRole("status").textContent()).toContain("grown every minute for 10 minutes");
    expect(await webhook.locator("svg.spark polyline").count()).toBeGreaterThanOrEqual(4);
    expect(await webhook.getByRole("img", { name: /^Throughput, 24 h: \d+ done$/ }).count()).toBe(1);
    await screenshot(page, "overview");

    await card.getByRole("link", { name: "noop" }).click();
    await page.getByRole("heading", { name: "noop", level: 1 }).waitFor();
    const tabs = page.getByRole("navigation", { name: "Job states" });
    for (const [state, id] of Object.entries(jobs)) {
      if (state === "xss") continue;
      await tabs.getByRole("link", { name: new RegExp(`^${state}`) }).click();
      await page.waitForURL((url) => url.searchParams.get("state") === state);
      expect(await page.locator("table.jobs").textContent(), state).toContain(id);
      if (state === "waiting") await screenshot(page, "queue");
    }
    await context.newPage().then(async (phone) => {
      await phone.setViewportSize(PHONE);
      await phone.goto(`${stack.url}/dashboard`);
      await screenshot(phone, "overview-phone", { fullPage: true });
      await phone.goto(`${stack.url}/dashboard/queues/noop?state=dead`);
      await screenshot(phone, "dead-letters-phone", { fullPage: true });
      await phone.goto(`${stack.url}/dashboard/jobs/${jobs.dead}`);
      await screenshot(phone, "job-phone", { fullPage: true });
      await phone.close();
    });
  });

  test("tabs page through a state with cursors: next page, first page", async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ data: { page: i }, options: { delay: `${2 + i}h` } }));
    const response = await stack.request("/v1/jobs/noop/batch", { method: "POST", json: items });
    expect(response.status).toBe(202);
    const ids = ((await response.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
    await page.goto(`${stack.url}/dashboard/queues/noop?state=delayed`);
    const shown = async () => page.locator("table.jobs td.id a").allTextContents();
    const first = await shown();
    expect(first).toHaveLength(25);
    // Delayed jobs in run order: the 1 h one, then the batch's 2 h, 3 h, ...
    expect(first.slice(0, 3)).toEqual([jobs.delayed, ids[0], ids[1]]);
    await page.getByRole("link", { name: "Next page" }).click();
    await page.waitForURL((url) => url.searchParams.has("cursor"));
    expect(await shown()).toEqual(ids.slice(24));
    expect(await page.getByRole("link", { name: "Next page" }).count()).toBe(0);
    await page.getByRole("link", { name: "First page" }).click();
    await page.waitForURL((url) => !url.searchParams.has("cursor"));
    expect(await shown()).toEqual(first);
  });

  test("keyboard: the skip link comes first and moves focus to the content", async () => {
    await page.goto(`${stack.url}/dashboard`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement.id")).toBe("main");
  });

  test("keyboard: Tab reaches the queue's actions with a visible focus ring, and Enter runs them", async () => {
    await page.goto(`${stack.url}/dashboard/queues/noop`);
    const focused = () => page.evaluate("document.activeElement && document.activeElement.textContent.trim()") as Promise<string | null>;
    const tabTo = async (label: string) => {
      for (let i = 0; i < 40 && (await focused()) !== label; i++) await page.keyboard.press("Tab");
      expect(await focused()).toBe(label);
      // The focused control shows it (the stylesheet's :focus-visible outline), not only the browser default.
      expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
    };
    await tabTo("Pause queue");
    await page.keyboard.press("Enter");
    await page.getByText("Queue paused").waitFor();
    expect(await stack.io.hget(noop.meta, "paused")).toBe("1");
    await tabTo("Resume queue");
    await page.keyboard.press("Enter");
    await page.getByText("Queue resumed").waitFor();
    expect(await stack.io.hget(noop.meta, "paused")).toBeNull();
  });

  test("live refresh stops while the tab is hidden and refreshes at once when it shows again", async () => {
    await page.goto(`${stack.url}/dashboard/queues/noop`);
    const status = page.locator("[data-live-status]");
    const setHidden = (hidden: boolean) =>
      page.evaluate(`Object.defineProperty(document, "hidden", { configurable: true, get: () => ${hidden} }); document.dispatchEvent(new Event("visibilitychange"))`);
    await setHidden(true);
    expect(await status.textContent()).toBe("Paused while hidden");
    const before = await page.evaluate("document.body.getAttribute('data-refreshed')");
    await setHidden(false);
    // A function, not a string: the page's CSP forbids eval, which a string predicate would need.
    type Doc = { document: { body: { getAttribute(name: string): string | null } } };
    await page.waitForFunction((previous) => (globalThis as unknown as Doc).document.body.getAttribute("data-refreshed") !== previous, before);
    expect(await status.textContent()).toMatch(/^Live · /);
  });

  test("a payload or error carrying HTML renders as text and runs no script", async () => {
    await page.goto(`${stack.url}/dashboard/jobs/${jobs.xss}`);
    expect(await page.locator('[data-field="payload"]').textContent()).toContain(XSS_PAYLOAD);
    await page.goto(`${stack.url}/dashboard/queues/noop?state=dead`);
    await page.getByText(XSS_ERROR).first().waitFor();
    await page.goto(`${stack.url}/dashboard/jobs/${jobs.dead}`);
    await page.getByText(XSS_ERROR).first().waitFor();
    expect(await page.locator("img").count()).toBe(0);
    // Evaluated in the page; the globals the payloads would have set stay unset.
    expect(await page.evaluate("[typeof window.__offloadXss, typeof window.__offloadXssError]")).toEqual(["undefined", "undefined"]);
  });

  test("open a dead job, replay it, and watch it complete", async () => {
    await page.goto(`${stack.url}/dashboard/queues/noop?state=dead`);
    await screenshot(page, "dead-letters");
    await page.getByRole("link", { name: jobs.dead }).click();
    await page.waitForURL(`**/dashboard/jobs/${jobs.dead}`);
    expect(await page.locator("[data-job-state]").getAttribute("data-job-state")).toBe("dead");
    expect(await page.locator(".timeline .event.failed").textContent()).toContain(XSS_ERROR);
    await screenshot(page, "job-dead");

    await stack.io.del(FAIL_KEY);
    // The held job occupies the worker's only slot; let it (and the waiting one behind it) finish first.
    await stack.io.lpush(RELEASE_KEY, "go");
    await untilState(jobs.waiting, "completed");
    await page.getByRole("button", { name: "Replay" }).click();
    await page.getByRole("status").filter({ hasText: "Replayed 1 job" }).waitFor();
    // No reload from here on: the page's own live refresh has to show the outcome.
    await page.locator('[data-job-state="completed"]').waitFor({ timeout: 20_000 });
    expect(await page.locator(".timeline").textContent()).toContain("Completed");
    // The earlier attempt's error is kept in the record after the replay.
    expect(await page.locator(".timeline .event.failed").textContent()).toContain(XSS_ERROR);
    await screenshot(page, "job");
  });

  test("pause and resume: a job enqueued while paused waits, and runs on resume", async () => {
    await page.goto(`${stack.url}/dashboard/queues/noop`);
    await page.getByRole("button", { name: "Pause queue" }).click();
    await page.getByText("Queue paused").waitFor();
    expect(await page.locator("#queue-badges").textContent()).toBe("Paused");
    expect(await stack.io.hget(noop.meta, "paused")).toBe("1");

    const id = await enqueue({ during: "pause" });
    await page.goto(`${stack.url}/dashboard`);
    expect(await page.locator('[data-queue="noop"] .badge.paused').textContent()).toBe("Paused");
    expect(await stateOf(id)).toBe("waiting");

    await page.goto(`${stack.url}/dashboard/queues/noop`);
    await page.getByRole("button", { name: "Resume queue" }).click();
    await page.getByText("Queue resumed").waitFor();
    expect(await page.locator("#queue-badges").textContent()).toBe("Running");
    await untilState(id, "completed");
  });

  test("dead letters: replay one from its row, the ticked one, all the others, then purge", async () => {
    await stack.io.set(FAIL_KEY, "1");
    const dead = [];
    for (let i = 0; i < 4; i++) dead.push(await enqueue({ fail: true, message: `bulk failure ${i}` }, "?maxAttempts=1"));
    for (const id of dead) await untilState(id, "dead");
    await stack.io.del(FAIL_KEY);
    await page.goto(`${stack.url}/dashboard/queues/noop?state=dead`);
    expect(await page.locator("table.jobs td.id a").allTextContents()).toEqual([...dead].reverse());

    // The row's own button (it lands on the job's page).
    await page.getByRole("button", { name: `Replay ${dead[3]}` }).click();
    await page.getByRole("status").filter({ hasText: "Replayed 1 job." }).waitFor();
    await untilState(dead[3]!, "completed");
    await page.goto(`${stack.url}/dashboard/queues/noop?state=dead`);
    expect(await page.locator("table.jobs td.id a").allTextContents()).toEqual(dead.slice(0, 3).reverse());

    await page.getByRole("checkbox", { name: `Select ${dead[1]}` }).check();
    await page.getByRole("button", { name: "Replay selected" }).click();
    await page.getByRole("status").filter({ hasText: "Replayed 1 job." }).waitFor();
    await untilState(dead[1]!, "completed");
    expect(await stateOf(dead[0]!)).toBe("dead");

    await page.getByRole("button", { name: "Replay all dead" }).click(); // the confirm dialog is accepted
    await page.getByRole("status").filter({ hasText: "Replayed 2 jobs." }).waitFor();
    for (const id of [dead[0]!, dead[2]!]) await untilState(id, "completed");

    await stack.io.set(FAIL_KEY, "1");
    const doomed = [await enqueue({ fail: true }, "?maxAttempts=1"), await enqueue({ fail: true }, "?maxAttempts=1")];
    for (const id of doomed) await untilState(id, "dead");
    await stack.io.del(FAIL_KEY);
    await page.goto(`${stack.url}/dashboard/queues/noop?state=dead`);
    await page.getByRole("button", { name: "Purge dead" }).click();
    await page.getByRole("status").filter({ hasText: "Purged 2 dead jobs." }).waitFor();
    expect(await page.locator(".tab.state-dead .tab-count").textContent()).toBe("0");
    expect(await page.getByText("No dead jobs.").count()).toBe(1);
    for (const id of doomed) expect(await stateOf(id)).toBeUndefined();
  });

  test.each([
    ["1280×800", DESKTOP],
    ["phone width", PHONE],
  ])("readable and usable at %s: nothing scrolls sideways, every control is named, text contrast is AA", async (_, viewport) => {
    const audited = await context.newPage();
    await audited.setViewportSize(viewport);
    for (const path of ["/dashboard", "/dashboard/queues/noop?state=dead", "/dashboard/queues/noop?state=completed", `/dashboard/jobs/${jobs.dead}`, "/dashboard/schedules"]) {
      await audited.goto(`${stack.url}${path}`);
      expect(await auditPage(audited), path).toEqual([]);
    }
    await audited.close();
  });

  test("a POST without the CSRF token, or from another origin, is refused and changes nothing", async () => {
    await page.goto(`${stack.url}/dashboard/queues/noop`);
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    const post = (form: Record<string, string>, origin = stack.url) =>
      page.request.post(`${stack.url}/dashboard/queues/noop/pause`, { form, headers: { Origin: origin }, maxRedirects: 0 });

    expect((await post({})).status()).toBe(403);
    expect((await post({ _csrf: "x".repeat(43) })).status()).toBe(403);
    expect((await post({ _csrf: token }, "https://evil.example")).status()).toBe(403);
    expect(await stack.io.hget(noop.meta, "paused")).toBeNull();
    // The same token from the page, same origin: accepted (so the refusals above were about the token).
    expect((await post({ _csrf: token })).status()).toBe(303);
    expect(await stack.io.hget(noop.meta, "paused")).toBe("1");
    expect((await page.request.post(`${stack.url}/dashboard/queues/noop/resume`, { form: { _csrf: token }, headers: { Origin: stack.url }, maxRedirects: 0 })).status()).toBe(303);
  });

  test("/docs renders Swagger UI from the Worker's own files, with no request to any other origin", async () => {
    const docs = await context.newPage();
    const elsewhere: string[] = [];
    await docs.route("**/*", (route) => {
      if (new URL(route.request().url()).origin === stack.url) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    const docsProblems: string[] = [];
    watchConsole(docs, docsProblems);
    await docs.goto(`${stack.url}/docs`);
    await docs.getByRole("heading", { name: /Offload/ }).first().waitFor();
    await docs.locator(".opblock-summary-path[data-path=\"/v1/jobs/{id}\"]").first().waitFor();
    expect(elsewhere).toEqual([]);
    expect(docsProblems).toEqual([]);
    await screenshot(docs, "docs");
    await docs.close();
  });

  test("the schedules page lists every schedule with its next three runs, last run and last job", async () => {
    const put = (id: string, body: unknown) =>
      stack.request(`/v1/admin/schedules/${id}`, { method: "PUT", json: body, key: ADMIN_KEY });
    expect((await put("nightly-report", { job: "noop", cron: "0 2 * * *", tz: "Europe/Berlin", data: {} })).status).toBe(200);
    expect((await put("hourly", { job: "noop", every: "1h", data: {} })).status).toBe(200);
    // A last run as schedule_fire records it: "<tick ms> <local id>" (the completed job from the first test).
    const lastAt = Date.parse("2026-01-02T01:00:00.000Z");
    await stack.io.hset(noop.schedulesRuns, "nightly-report", `${lastAt} ${jobs.completed.split(".")[1]}`);

    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schedules" }).click();
    await page.waitForURL("**/dashboard/schedules");
    const nightly = page.locator('[data-schedule="nightly-report"]');
    expect(await nightly.textContent()).toContain("cron 0 2 * * * (Europe/Berlin)");
    expect(await nightly.locator("[data-next-runs] li").count()).toBe(3);
    // 02:00 in Berlin is 00:00 or 01:00 UTC.
    for (const text of await nightly.locator("[data-next-runs] time").allTextContents()) expect(text).toMatch(/ 0[01]:00:00Z$/);
    expect(await nightly.locator("[data-last-run]").textContent()).toBe("2026-01-02 01:00:00Z");
    expect(await nightly.locator("[data-last-job]").textContent()).toBe(jobs.completed);
    const hourly = page.locator('[data-schedule="hourly"]');
    expect(await hourly.textContent()).toContain("every 1h");
    expect(await hourly.textContent()).not.toContain("3600000");
    expect(await hourly.locator("[data-last-run]").textContent()).toBe("never");
    await screenshot(page, "schedules");
    await nightly.locator("[data-last-job] a").click();
    await page.waitForURL(`**/dashboard/jobs/${jobs.completed}`);
    for (const id of ["nightly-report", "hourly"]) {
      expect((await stack.request(`/v1/admin/schedules/${id}`, { method: "DELETE", key: ADMIN_KEY })).status).toBe(204);
    }
  });

  test("sign out ends the session", async () => {
    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/dashboard/sign-in?notice=signed-out");
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${stack.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    expect(problems.filter((line) => !line.includes("status of 401"))).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
