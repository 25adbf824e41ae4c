/**
 * The dev stack restarts a worker that dies, as Fly does (supervise.ts), with real processes: redis-server, the
 * REST endpoint, workerd under `wrangler dev`, and worker processes built from source. A slow job is a webhook
 * to a receiver that does not answer; its worker is found through Redis (the in-flight list that holds it),
 * SIGKILLed, and the job's redelivery is the event that another worker took it over after the lease.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { queueKeys } from "../../shared/src/keys";
import { pidHolding } from "../../worker/test/support/holding-pid";
import { startTestReceiver } from "../../worker/test/support/webhook-receiver";
import { freePort } from "../runtime/free-port";
import { waitFor } from "../test/wait-for";
import { REPO_ROOT, type DevStackOptions } from "./config";
import { startDevStack } from "./stack";
import { MAX_CRASHES_AT_START } from "../../shared/src/process/restart";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The stack's options on free ports, and its log as an event source (`nextLine(re)`) instead of sleeps. */
async function stackOptions(overrides: Partial<DevStackOptions>) {
  mkdirSync(join(REPO_ROOT, ".data"), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, ".data", "dev-restart-test-"));
  dirs.push(dir);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; from: number; resolve: (line: string) => void }[] = [];
  const log = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  /** The first line matching `pattern` from now on (or already logged since `from`, a line count). */
  const nextLine = (pattern: RegExp, from = lines.length) => {
    const seen = lines.slice(from).find((line) => pattern.test(line));
    return seen !== undefined ? Promise.resolve(seen) : new Promise<string>((resolve) => waiters.push({ pattern, from, resolve }));
  };
  const options: DevStackOptions = {
    dataDir: dir,
    redisPort: await freePort(),
    restPort: await freePort(),
    edgePort: await freePort(),
    workers: 1,
    healthPort: 0,
    workerBuildDir: join(dir, "worker"),
    log,
    color: false,
    ...overrides,
  };
  return { options, lines, nextLine };
}

function livingMembers(pgids: readonly number[]): string[] {
  const wanted = new Set(pgids);
  const ps = spawnSync("ps", ["-A", "-o", "pid=,pgid=,stat=,comm="], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, pgid, stat]) => pid && wanted.has(Number(pgid)) && !stat?.startsWith("Z"))
    .map((fields) => fields.join(" "));
}

describe("the dev stack restarts a worker that dies", () => {
  it("WORKERS=3: a SIGKILLed worker's slow job is finished by another worker, and the worker is restarted", async () => {
    const { options, lines, nextLine } = await stackOptions({
      workers: 3,
      workerEnv: { WORKER_LEASE: "3s", WORKER_SHUTDOWN_GRACE: "5s" },
    });
    const stack = await startDevStack(options).catch((error: unknown) => {
      throw new Error(`stack did not start: ${String(error)}\n${lines.slice(-40).join("\n")}`);
    });
    const redis = new Redis(stack.redisUrl, { protocol: 2 } as never);
    const receiver = await startTestReceiver();
    let stackFailed = false;
    void stack.failed.then(() => (stackFailed = true));
    try {
      expect(stack.workerPids()).toHaveLength(3);
      receiver.reply("hang"); // the first delivery never answers: the job stays active on its worker
      const auth = { authorization: `Bearer ${stack.apiKey}` };
      const response = await fetch(`${stack.edgeUrl}/v1/jobs/webhook`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ url: `${receiver.origin}/hooks`, body: { slow: true } }),
      });
      const job = (await response.json()) as { id: string };
      expect(response.status, JSON.stringify(job)).toBe(202);
      await receiver.nextDelivery();
      const localId = job.id.slice("webhook.".length);

      const victim = await pidHolding(redis, "webhook", localId);
      expect(victim, "the job is in a worker's in-flight list").toBeDefined();
      const index = stack.workerPids().indexOf(victim!);
      expect(index, `pid ${victim} is one of the stack's workers ${stack.workerPids().join(",")}`).toBeGreaterThanOrEqual(0);
      const name = `worker-${index + 1}`;

      const died = nextLine(new RegExp(`\\[dev\\]\\s+${name} \\(pid ${victim}\\) died`));
      const restarted = nextLine(new RegExp(`\\[dev\\]\\s+${name} restarted \\(pid (\\d+)\\)`));
      process.kill(-victim!, "SIGKILL");

      expect(await died).toMatch(/died: killed by SIGKILL; its in-flight jobs .* handed back .*\(within WORKER_LEASE=3s\); restarting it in 0\.5s/);
      const newPid = Number(/restarted \(pid (\d+)\)/.exec(await restarted)![1]);
      expect(newPid).not.toBe(victim);
      // Ready again: the restarted process says so under the same prefix.
      await nextLine(new RegExp(`\\[${name}\\].*worker started`), lines.findIndex((line) => line.includes(`restarted (pid ${newPid})`)));
      expect(stack.workerPids()[index]).toBe(newPid);
      expect(livingMembers([victim!])).toEqual([]);

      // The killed process is gone, so the redelivery is another worker's: the lease expired and it was reaped.
      await receiver.nextDelivery();
      const finished = await waitFor(
        async () => {
          const status = await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}`, { headers: auth });
          const body = (await status.json()) as { state: string; result?: { status: number } };
          return body.state === "completed" ? body : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: `job ${job.id} to complete` },
      );
      expect(finished.result).toMatchObject({ status: 200 });
      expect(await redis.hget(queueKeys("webhook").stats, "stalled")).toBe("1");
      expect(lines.some((line) => /\[worker-\d\].*reaped jobs of an expired worker/.test(line))).toBe(true);
      expect(stackFailed, "a worker's death is not the stack's failure").toBe(false);
    } finally {
      await receiver.close();
      redis.disconnect();
      await stack.stop();
    }
    expect(stack.allPids().length).toBe(8); // reaper, redis, rest, edge, 3 workers, 1 restarted
    expect(livingMembers(stack.allPids())).toEqual([]);
  });

  it("a worker that crashes at start every time fails the start after 5 tries, with its reason, leaving nothing running", async () => {
    const { options, lines } = await stackOptions({ workerEnv: { WORKER_CONCURRENCY: "0" } });
    const start = startDevStack(options);
    const error = await start.then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error?.message).toMatch(new RegExp(`^worker-1 crashed ${MAX_CRASHES_AT_START} times in a row before it was ready \\(last: exit code 1\\); not restarting it`));
    expect(error?.message).toContain("WORKER_CONCURRENCY"); // the worker's own one-line reason, from its last output
    expect(lines.filter((line) => /worker-1 \(pid \d+\) died: exit code 1; before it was ready/.test(line))).toHaveLength(MAX_CRASHES_AT_START - 1);
    // Backoff doubles: 0.5 s, 1 s, 2 s, 4 s.
    expect(lines.flatMap((line) => /restarting it in (\S+)s/.exec(line)?.[1] ?? [])).toEqual(["0.5", "1.0", "2.0", "4.0"]);
    const pids = [...lines.join("\n").matchAll(/\(pid (\d+)\)/g)].map((match) => Number(match[1]));
    expect(livingMembers(pids)).toEqual([]);
  });

  it("after start, a worker that crash-loops is given up on and the stack runs on with the others", async () => {
    const { options, lines, nextLine } = await stackOptions({ workers: 2, healthPort: await freePort() });
    const stack = await startDevStack(options).catch((error: unknown) => {
      throw new Error(`stack did not start: ${String(error)}\n${lines.slice(-40).join("\n")}`);
    });
    let blocker: Server | undefined;
    let stackFailed = false;
    void stack.failed.then(() => (stackFailed = true));
    try {
      // worker-2's health port, taken by someone else once it dies: every restart then fails to listen.
      const port = Number(new URL(stack.workerMetricsUrls[1]!).port);
      const victim = stack.workerPids()[1]!;
      const died = nextLine(/\[dev\]\s+worker-2 \(pid \d+\) died: killed by SIGKILL/);
      process.kill(-victim, "SIGKILL");
      await died; // the restart waits 0.5 s; the port is taken well before
      blocker = createServer();
      await new Promise<void>((resolve, reject) => blocker!.once("error", reject).listen(port, "127.0.0.1", resolve));

      const gaveUp = await nextLine(/\[dev\]\s+worker-2 crashed \d+ times in a row/);
      expect(gaveUp).toMatch(new RegExp(`worker-2 crashed ${MAX_CRASHES_AT_START} times in a row before it was ready \\(last: exit code 1\\); not restarting it`));
      expect(await nextLine(/running on with/)).toMatch(/running on with 1 of 2 workers/);

      // The stack still works: worker-1 completes a job.
      const auth = { authorization: `Bearer ${stack.apiKey}` };
      const response = await fetch(`${stack.edgeUrl}/v1/jobs/noop`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: "{}",
      });
      const job = (await response.json()) as { id: string };
      const done = await waitFor(
        async () => {
          const body = (await (await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}`, { headers: auth })).json()) as { state: string };
          return body.state === "completed" ? body : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: "the noop job to complete" },
      );
      expect(done.state).toBe("completed");
      expect(stackFailed).toBe(false);
      expect(livingMembers([stack.workerPids()[0]!]).length).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
      await stack.stop();
    }
    expect(livingMembers(stack.allPids())).toEqual([]);
  });
});
