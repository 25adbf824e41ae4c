/**
 * WORKER_PROCESSES with real processes: the real main.ts (under tsx) as the supervisor, its real children and
 * a real redis-server. A slow job is a webhook to a receiver that does not answer; the child holding it is found
 * through Redis (its in-flight list), SIGKILLed, restarted, and the job's redelivery is the event that it came
 * back. Log lines (pino JSON on the supervisor's stdout, children's passed through) are awaited, never slept on.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "../../shared/src/jobs/index";
import { queueKeys } from "../../shared/src/keys";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { waitFor } from "../../infra/test/wait-for";
import { enqueueOne, waitForState } from "./support";
import { pidHolding, pidOfWorkerId } from "./support/holding-pid";
import { startWorkerProcess, stopWorkerProcesses, type LogLine } from "./support/main-process";
import { startTestReceiver } from "./support/webhook-receiver";

const MAIN = join(import.meta.dirname, "../src/main.ts");
let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 } as never);
});
const started: number[] = [];
afterEach(async () => {
  await stopWorkerProcesses(); // the supervisor, if a test failed before it stopped
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(-pid, "SIGKILL"); // its children then
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

/** A child's line: its worker id is `<host>-<pid>-<random>`. */
const fromPid = (line: LogLine, pid: number | undefined) => pidOfWorkerId(line.workerId as string | undefined) === pid;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The real main.ts as the supervisor (startWorkerProcess: its pino lines awaitable), and how it exited. */
async function startSupervisor(env: Record<string, string>) {
  const supervisor = await startWorkerProcess(server.url, {
    WORKER_PROCESSES: "2",
    WORKER_QUEUES: "webhook",
    WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    ...env,
  });
  const exited = once(supervisor.process, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  const pids = (await supervisor.line((l) => l.msg === "supervisor started")).pids as number[];
  for (const pid of pids) await supervisor.line((l) => l.msg === "worker started" && fromPid(l, pid));
  return { ...supervisor, exited, pids };
}

describe("WORKER_PROCESSES", () => {
  it("2 children with distinct leases; a SIGKILLed one is restarted and its job comes back; one SIGTERM stops all, exit 0", async () => {
    const receiver = await startTestReceiver();
    try {
      const supervisor = await startSupervisor({ WORKER_LEASE: "2s", WORKER_SHUTDOWN_GRACE: "2s" });
      const first = supervisor.pids;
      started.push(...first);
      expect(first).toHaveLength(2);
      const keys = queueKeys("webhook");
      const leases = await redis.zrange(keys.workers, "0", "-1");
      expect(leases.map(pidOfWorkerId).sort()).toEqual([...first].sort()); // one lease per child, distinct ids

      const health = await supervisor.health();
      expect(health.status).toBe(200);
      expect((health.body as unknown as { processes: { pid: number }[] }).processes.map((p) => p.pid).sort()).toEqual([...first].sort());

      // A job held by one child, which is then SIGKILLed.
      receiver.reply("hang");
      const localId = await enqueueOne(ioredisRunner(redis), keys, JOBS.webhook, { url: `${receiver.origin}/hooks`, body: { slow: true } });
      await receiver.nextDelivery();
      const victim = await pidHolding(redis, "webhook", localId);
      expect(first).toContain(victim);
      process.kill(-victim!, "SIGKILL");
      const died = await supervisor.line((l) => String(l.msg).includes(`(pid ${victim}) died: killed by SIGKILL`));
      expect(died.msg).toMatch(/handed back .*within WORKER_LEASE=2s/);
      const restarted = await supervisor.line((l) => /worker process \d restarted \(pid \d+\)/.test(String(l.msg)));
      const newPid = Number(/pid (\d+)/.exec(String(restarted.msg))![1]);
      started.push(newPid);
      expect(first).not.toContain(newPid);
      await supervisor.line((l) => l.msg === "worker started" && fromPid(l, newPid));
      expect(alive(victim!)).toBe(false);

      // Its lease expires, a child reaps it, and the job runs again (the receiver now answers 200).
      await receiver.nextDelivery();
      expect((await waitForState(ioredisRunner(redis), keys, localId, "completed")).state).toBe("completed");

      // Counters summed over the children; queue gauges (the same Redis value in each) not.
      const metrics = await supervisor.metrics();
      expect(metrics).toContain('offload_jobs_total{queue="webhook",outcome="completed"} 1');
      expect(metrics).toContain('offload_queue_workers{queue="webhook"} 2');

      supervisor.process.kill("SIGTERM");
      expect(await supervisor.exited).toEqual({ code: 0, signal: null });
      expect(started.filter(alive)).toEqual([]);
      expect(supervisor.lines.filter((l) => l.msg === "graceful shutdown")).toHaveLength(2); // each child drained
      expect(await redis.zcard(keys.workers)).toBe(0); // every lease given up at stop
    } finally {
      await receiver.close();
    }
  });

  it("a second SIGTERM is passed on: the children hand their running job back at once and everything exits", async () => {
    const receiver = await startTestReceiver();
    try {
      // The first signal alone would wait this long for the hanging job.
      const supervisor = await startSupervisor({ WORKER_SHUTDOWN_GRACE: "5m" });
      started.push(...supervisor.pids);
      receiver.reply("hang");
      const keys = queueKeys("webhook");
      const localId = await enqueueOne(ioredisRunner(redis), keys, JOBS.webhook, { url: `${receiver.origin}/hooks`, body: {} });
      await receiver.nextDelivery();

      supervisor.process.kill("SIGTERM");
      // Both children have begun their graceful stop (and wait for the hanging job) before the second signal.
      await supervisor.line((l) => l.msg === "graceful shutdown" && supervisor.lines.filter((m) => m.msg === "graceful shutdown").length === 2);
      supervisor.process.kill("SIGTERM");
      expect((await supervisor.exited).signal).toBeNull();
      expect(supervisor.lines.some((l) => l.msg === "second signal: passing it on (running jobs are handed back at once)")).toBe(true);
      expect(started.filter(alive)).toEqual([]);
      const status = await waitForState(ioredisRunner(redis), keys, localId, "waiting");
      expect(status.attempt).toBe(0); // handed back: its attempt given back
    } finally {
      await receiver.close();
    }
  });

  it("a SIGKILLed supervisor leaves no worker behind: the children see its IPC channel close and stop gracefully", async () => {
    const supervisor = await startSupervisor({});
    started.push(...supervisor.pids);
    const keys = queueKeys("webhook");
    expect(await redis.zcard(keys.workers)).toBe(2);
    supervisor.process.kill("SIGKILL");
    await supervisor.exited;
    // Not our children: their end can only be watched for, not awaited.
    // A graceful stop (each child ends its blocking pop, ticks its lease away and exits) took 3 s alone and more
    // than 20 s once in a full parallel run on 2 cores: allow 45 s, still inside the test's own limit.
    await waitFor(() => supervisor.pids.every((pid) => !alive(pid)), { what: "the orphaned worker processes to exit", timeoutMs: 45_000 });
    expect(await redis.zcard(keys.workers)).toBe(0); // a graceful stop: each gave its lease up
  });

  it.each(["0", "abc"])("WORKER_PROCESSES=%s stops at start with one line naming the variable", (value) => {
    const result = spawnSync(process.execPath, ["--import", "tsx", MAIN], {
      env: { ...process.env, REDIS_URL: server.url, WORKER_PROCESSES: value, HEALTH_PORT: "0" },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      `invalid config: WORKER_PROCESSES: expected auto or a whole number from 1 to 256, got "${value}"`,
    ]);
  });
});
