/**
 * End to end, with real processes: redis-server, the local REST endpoint, workerd under `wrangler dev`, and a
 * worker built from source. Each test uses its own free ports and its own data directory (under .data/, since
 * the worker bundle must sit inside the repo to import piscina from node_modules).
 *
 * "No orphan" is checked on process groups: every child leads its own group, so a group with no live member
 * (zombies excepted) means the child and everything it started (workerd, esbuild, threads' hosts) are gone.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../runtime/free-port";
import { REPO_ROOT } from "./config";
import { startDevStack } from "./stack";
import { Webhook } from "standardwebhooks";
import { startTestReceiver } from "../../worker/test/support/webhook-receiver";

const dirs: string[] = [];
function dataDir(): string {
  mkdirSync(join(REPO_ROOT, ".data"), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, ".data", "dev-stack-test-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Live (non-zombie) processes in any of the given process groups. */
function livingMembers(pgids: readonly number[]): string[] {
  const wanted = new Set(pgids);
  const ps = spawnSync("ps", ["-A", "-o", "pid=,pgid=,stat=,comm="], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, pgid, stat]) => pid && wanted.has(Number(pgid)) && !stat?.startsWith("Z"))
    .map((fields) => fields.join(" "));
}

/** Polls `check` every 100 ms until it returns a value, for at most `timeoutMs`. */
async function until<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("startDevStack", () => {
  it("enqueues a job over HTTP, a worker completes it, and stop() leaves no process behind", async () => {
    const dir = dataDir();
    const lines: string[] = [];
    const stack = await startDevStack({
      dataDir: dir,
      redisPort: await freePort(),
      restPort: await freePort(),
      edgePort: await freePort(),
      workers: 1,
      healthPort: 0,
      workerBuildDir: join(dir, "worker"),
      log: (line) => lines.push(line),
      color: false,
    }).catch((error: unknown) => {
      throw new Error(`stack did not start: ${String(error)}\n${lines.slice(-40).join("\n")}`);
    });

    try {
      expect(lines.some((line) => line.includes("starting redis-server"))).toBe(true);
      const auth = { authorization: `Bearer ${stack.apiKey}` };
      const response = await fetch(`${stack.edgeUrl}/v1/jobs/noop`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ hello: "world" }),
      });
      const accepted = (await response.json()) as { id: string; name: string; state: string; statusUrl: string };
      expect(response.status, JSON.stringify(accepted)).toBe(202);
      expect(accepted).toMatchObject({ id: expect.any(String), name: "noop", state: expect.any(String), statusUrl: expect.any(String) });

      // The public API is the event: poll the job's status until the worker has settled it.
      const finished = await until(
        async () => {
          const status = await fetch(`${stack.edgeUrl}/v1/jobs/${accepted.id}`, { headers: auth });
          const body = (await status.json()) as { state: string; result?: unknown };
          return status.status === 200 && body.state !== "waiting" && body.state !== "active" ? body : undefined;
        },
        15_000,
        `job ${accepted.id} to finish`,
      );
      expect(finished.state).toBe("completed");
      expect(finished.result).toEqual({ ok: true });

      // The operator's side of the same stack: the admin API with the printed admin key (the stack's worker
      // listed as serving the queue), the dashboard's sign-in, and the CLI on the stack's Redis.
      const admin = { authorization: `Bearer ${stack.adminKey}` };
      const detail = (await (await fetch(`${stack.edgeUrl}/v1/admin/queues/noop?minutes=5`, { headers: admin })).json()) as {
        counts: { completed: number };
        workers: { id: string; inFlight: number }[];
        history: { completed: number }[];
      };
      expect(detail.counts.completed).toBeGreaterThanOrEqual(1);
      expect(detail.workers).toHaveLength(1);
      expect(detail.history.reduce((sum, minute) => sum + minute.completed, 0)).toBeGreaterThanOrEqual(1);
      expect((await fetch(`${stack.edgeUrl}/v1/admin/queues/noop`, { headers: auth })).status).toBe(403);
      const paused = await fetch(`${stack.edgeUrl}/v1/admin/queues/noop/pause`, { method: "POST", headers: admin });
      expect(await paused.json()).toEqual({ name: "noop", paused: true });
      const cli = spawnSync(process.execPath, [join(REPO_ROOT, "infra/cli/bin.mjs"), "stats", "--json"], {
        env: { ...process.env, REDIS_URL: stack.redisUrl },
        encoding: "utf8",
      });
      expect(cli.status, cli.stderr).toBe(0);
      const stats = JSON.parse(cli.stdout) as { queues: { name: string; paused: boolean; completed: number }[] };
      expect(stats.queues.find((queue) => queue.name === "noop")).toMatchObject({ paused: true });
      expect(await (await fetch(`${stack.edgeUrl}/v1/admin/queues/noop/resume`, { method: "POST", headers: admin })).json()).toEqual({ name: "noop", paused: false });
      const dashboard = await fetch(`${stack.edgeUrl}/dashboard`, { redirect: "manual" });
      expect([dashboard.status, dashboard.headers.get("location")]).toEqual([303, "/dashboard/sign-in"]);

      // The webhook job end to end: enqueued over HTTP, delivered to a real receiver, signed, status completed.
      const receiver = await startTestReceiver();
      try {
        receiver.reply({ status: 503 }, { status: 200, body: "thanks" });
        const hook = await fetch(`${stack.edgeUrl}/v1/jobs/webhook?backoff=10ms`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ url: `${receiver.origin}/hooks`, body: { type: "invoice.paid", invoice: 42 } }),
        });
        const hookJob = (await hook.json()) as { id: string };
        expect(hook.status, JSON.stringify(hookJob)).toBe(202);
        const first = await receiver.nextDelivery();
        const second = await receiver.nextDelivery();
        const { webhookSecret } = JSON.parse(readFileSync(join(dir, "dev-keys.json"), "utf8")) as { webhookSecret: string };
        for (const delivery of [first, second]) {
          expect(delivery.headers["webhook-id"]).toBe(hookJob.id);
          const verified = new Webhook(webhookSecret).verify(delivery.body, delivery.headers as Record<string, string>);
          expect(verified).toEqual({ type: "invoice.paid", invoice: 42 });
        }
        const delivered = await until(
          async () => {
            const status = await fetch(`${stack.edgeUrl}/v1/jobs/${hookJob.id}`, { headers: auth });
            const body = (await status.json()) as { state: string; attempt: number; result?: { status: number } };
            return body.state === "completed" ? body : undefined;
          },
          15_000,
          `webhook ${hookJob.id} to complete`,
        );
        expect(delivered).toMatchObject({ attempt: 2, result: { status: 200 } });
      } finally {
        await receiver.close();
      }
    } finally {
      await stack.stop();
    }
    expect(stack.pids.length).toBe(5); // reaper, redis, rest, edge, worker-1
    expect(livingMembers(stack.pids)).toEqual([]);
  });

  it("fails with one line naming REDIS_URL when it points nowhere, and leaves nothing running", async () => {
    const dir = dataDir();
    const lines: string[] = [];
    const start = startDevStack({
      dataDir: dir,
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      redisPort: 0,
      restPort: await freePort(),
      edgePort: await freePort(),
      workers: 1,
      healthPort: 0,
      workerBuildDir: join(dir, "worker"),
      log: (line) => lines.push(line),
      color: false,
    });
    await expect(start).rejects.toThrow(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: .*REDIS_URL/);
    const reaperPid = Number(/reaper started \(pid (\d+)\)/.exec(lines.join("\n"))?.[1]);
    expect(livingMembers([reaperPid])).toEqual([]);
  });
});

describe("npm run dev (the CLI)", () => {
  /**
   * Starts `npm run dev` in its own process group, as a shell runs a foreground command, and waits for `until`
   * (default: the ready line) to appear in its output.
   */
  async function startCli(options: { env?: Record<string, string>; until?: RegExp } = {}) {
    const env = {
      ...process.env,
      PORT: String(await freePort()),
      REDIS_PORT: String(await freePort()),
      UPSTASH_LOCAL_PORT: String(await freePort()),
      HEALTH_PORT: "0",
      DEV_DATA_DIR: dataDir(),
      NO_COLOR: "1",
      ...options.env,
    };
    const cli: ChildProcess = spawn("npm", ["run", "dev"], { cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    for (const stream of [cli.stdout!, cli.stderr!]) createInterface({ input: stream }).on("line", (line) => output.push(line));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      cli.once("close", (code, signal) => resolve({ code, signal })), // close: output fully read
    );
    const text = () => output.join("\n");
    const wanted = options.until ?? /\[dev\]\s+ready in/;
    const seen = await until(() => (wanted.test(text()) ? true : cli.exitCode !== null ? false : undefined), 45_000, `${wanted}`).catch(
      (error: unknown) => {
        process.kill(-cli.pid!, "SIGKILL");
        throw new Error(`${String(error)}\n${text()}`);
      },
    );
    if (!seen) throw new Error(`npm run dev exited before ${wanted}:\n${text()}`);
    const childPids = () => [...text().matchAll(/started \(pid (\d+)\)/g)].map((match) => Number(match[1]));
    const supervisorPid = () => Number(/supervisor pid (\d+)/.exec(text())?.[1]);
    return { cli, exited, text, childPids, supervisorPid };
  }

  it("starts, prints the URL and keys, and stops every child gracefully on Ctrl-C (SIGINT to its process group)", async () => {
    const { cli, exited, text, childPids } = await startCli();
    expect(text()).toMatch(/edge API\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(text()).toMatch(/API key\s+ofl_dev_/);
    expect(text()).toMatch(/admin key\s+ofl_admin_dev_/);
    expect(text()).toContain("curl -sS -X POST");
    expect(childPids().length).toBe(5); // reaper, redis, rest, edge, worker-1

    process.kill(-cli.pid!, "SIGINT"); // what Ctrl-C does: npm, sh and the supervisor all get it
    const exit = await exited;
    // The supervisor exits 0 (next test); what npm reports depends on /bin/sh: dash (Debian, Ubuntu) re-raises
    // a SIGINT it received while waiting for its child, so npm ends by SIGINT; bash (macOS) exits 0.
    expect(exit.code === 0 || exit.signal === "SIGINT", JSON.stringify(exit)).toBe(true);
    expect(text()).toMatch(/\[dev\]\s+all stopped/);
    expect(text()).toContain("worker stopped"); // gracefully, not killed
    expect(text()).toMatch(/\[dev\]\s+redis stopped \(exit 0\)/);
    expect(text()).not.toContain("killing everything");
    expect(livingMembers([cli.pid!, ...childPids()])).toEqual([]);
  });

  it("exits 0 when the supervisor gets SIGINT (kill -INT <pid>), with no child left", async () => {
    const { cli, exited, text, childPids, supervisorPid } = await startCli();
    process.kill(supervisorPid(), "SIGINT");
    expect(await exited, text()).toEqual({ code: 0, signal: null });
    expect(text()).toMatch(/\[dev\]\s+all stopped/);
    expect(livingMembers([cli.pid!, ...childPids()])).toEqual([]);
  });

  it("stops what has started when Ctrl-C comes during start", async () => {
    const { cli, exited, text, childPids } = await startCli({ until: /\[dev\]\s+edge started/ });
    process.kill(-cli.pid!, "SIGINT");
    await exited;
    expect(text()).toMatch(/\[dev\]\s+all stopped/);
    expect(text()).not.toMatch(/\[dev\]\s+ready in/);
    expect(livingMembers([cli.pid!, ...childPids()])).toEqual([]);
  });

  it("leaves no orphan when the supervisor itself is SIGKILLed: the reaper stops the children", async () => {
    const { cli, exited, childPids, supervisorPid } = await startCli({ env: { WORKER_SHUTDOWN_GRACE: "5s" } });
    process.kill(supervisorPid(), "SIGKILL");
    await exited; // sh and npm follow their child
    await until(() => (livingMembers(childPids()).length === 0 ? true : undefined), 20_000, "the reaper to stop every child");
    expect(livingMembers([cli.pid!, ...childPids()])).toEqual([]);
  });

  it("says in one line how to install redis-server when it is missing, and exits 1", () => {
    // A PATH holding only `node`, so neither redis-server nor anything else is found.
    const bin = mkdtempSync(join(tmpdir(), "offload-no-redis-"));
    dirs.push(bin);
    symlinkSync(process.execPath, join(bin, "node"));
    const run = spawnSync(process.execPath, ["--import", "tsx", "infra/dev/dev.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: bin, REDIS_URL: "", DEV_DATA_DIR: dataDir() },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/redis-server.*apt-get install redis-server.*brew install redis/)]);
  });
});
