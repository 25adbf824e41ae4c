/**
 * WORKER_PROCESSES with real processes: the real main.ts (under tsx) as the supervisor, its real children and
 * a real redis-server. A slow job is a webhook to a receiver that does not answer; the child holding it is found
 * through Redis (its in-flight list), SIGKILLed, restarted, and the job's redelivery is the event that it came
 * back. Log lines (pino JSON on the supervisor's stdout, children's passed through) are awaited, never slept on.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "../../shared/src/jobs/index";
import { queueKeys } from "../../shared/src/keys";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { freePort } from "../../infra/test/free-port";
import { startRedisServer, type RedisServerHandle } from "../../infra/test/redis-server";
import { enqueueOne, waitForState } from "./support";
import { startTestReceiver } from "./support/webhook-receiver";

const MAIN = join(import.meta.dirname, "../src/main.ts");
let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 } as never);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

interface Line {
  msg?: string;
  workerId?: string;
  [field: string]: unknown;
}

/** The supervisor with its stdout as awaitable pino lines. */
function startSupervisor(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, REDIS_URL: server.url, HEALTH_HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  const lines: Line[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const waiters: { match: (line: Line) => boolean; resolve: (line: Line) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) waiters.splice(waiters.indexOf(waiter), 1), waiter.resolve(line);
    }
  });
  /** The next line (from now on, or already seen after `from`) that matches; rejects if the supervisor exits. */
  const line = (match: (line: Line) => boolean, from = lines.length): Promise<Line> => {
    const seen = lines.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return Promise.race([
      new Promise<Line>((resolve) => waiters.push({ match, resolve })),
      exited.then((exit) => {
        throw new Error(`supervisor exited (${JSON.stringify(exit)}) while waiting; stderr: ${stderr}`);
      }),
    ]);
  };
  return { child, exited, lines, line };
}

/** A child's line: worker ids are `<host>-<pid>-<random>`. */
const fromPid = (line: Line, pid: number | undefined) => line.workerId?.split("-").at(-2) === String(pid);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pid of the worker process whose in-flight list holds `localId` (worker ids are `<host>-<pid>-<random>`). */
async function pidHolding(queue: string, localId: string): Promise<number | undefined> {
  const keys = queueKeys(queue);
  const [, found] = await redis.scan("0", "MATCH", `${keys.activePrefix}*`, "COUNT", 1000);
  for (const key of found) {
    if ((await redis.lrange(key, 0, -1)).includes(localId)) return Number(key.slice(keys.activePrefix.length).split("-").at(-2));
  }
  return undefined;
}

describe("WORKER_PROCESSES", () => {
  it("2 children with distinct leases; a SIGKILLed one is restarted and its job comes back; one SIGTERM stops all, exit 0", async () => {
    const healthPort = await freePort();
    const receiver = await startTestReceiver();
    const supervisor = startSupervisor({
      WORKER_PROCESSES: "2",
      WORKER_QUEUES: "webhook",
      WORKER_LEASE: "2s",
      WORKER_SHUTDOWN_GRACE: "2s",
      HEALTH_PORT: String(healthPort),
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    });
    const pids = new Set<number>();
    try {
      const started = await supervisor.line((l) => l.msg === "supervisor started");
      const first = started.pids as number[];
      expect(first).toHaveLength(2);
      first.forEach((pid) => pids.add(pid));
      const ready = [
        await supervisor.line((l) => l.msg === "worker started" && fromPid(l, first[0]), 0),
        await supervisor.line((l) => l.msg === "worker started" && fromPid(l, first[1]), 0),
      ];
      const leases = await redis.zrange(queueKeys("webhook").workers, "0", "-1");
      expect(leases.sort()).toEqual(ready.map((l) => String(l.workerId)).sort());
      expect(new Set(leases.map((id) => Number(id.split("-").at(-2))))).toEqual(new Set(first));

      const health = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
      const body = (await health.json()) as { status: string; processes: { pid: number; status: string }[] };
      expect(health.status).toBe(200);
      expect(body.processes.map((p) => p.pid).sort()).toEqual([...first].sort());

      // A job held by one child, which is then SIGKILLed.
      receiver.reply("hang");
      const localId = await enqueueOne(ioredisRunner(redis), queueKeys("webhook"), JOBS.webhook, { url: `${receiver.origin}/hooks`, body: { slow: true } });
      await receiver.nextDelivery();
      const victim = await pidHolding("webhook", localId);
      expect(first).toContain(victim);
      const from = supervisor.lines.length;
      process.kill(-victim!, "SIGKILL");
      const died = await supervisor.line((l) => typeof l.msg === "string" && l.msg.includes(`(pid ${victim}) died: killed by SIGKILL`), from);
      expect(died.msg).toMatch(/handed back .*within WORKER_LEASE=2s/);
      const restarted = await supervisor.line((l) => /worker process \d restarted \(pid \d+\)/.test(String(l.msg)), from);
      const newPid = Number(/pid (\d+)/.exec(String(restarted.msg))![1]);
      pids.add(newPid);
      expect(newPid).not.toBe(victim);
      await supervisor.line((l) => l.msg === "worker started" && fromPid(l, newPid), from);
      expect(alive(victim!)).toBe(false);

      // Its lease expires, a child reaps it, and the job runs again (the receiver now answers 200).
      await receiver.nextDelivery();
      const status = await waitForState(ioredisRunner(redis), queueKeys("webhook"), localId, "completed");
      expect(status.state).toBe("completed");

      const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
      // Counters summed over the children, queue gauges (the same Redis value in each) not.
      expect(metrics).toContain('offload_jobs_total{queue="webhook",outcome="completed"} 1');
      expect(metrics).toContain('offload_queue_workers{queue="webhook"} 2');

      supervisor.child.kill("SIGTERM");
      const exit = await supervisor.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect([...pids].filter(alive)).toEqual([]);
      expect(supervisor.lines.filter((l) => l.msg === "graceful shutdown")).toHaveLength(2); // each child drained
      expect(await redis.zcard(queueKeys("webhook").workers)).toBe(0); // every lease given up at stop
    } finally {
      if (supervisor.child.exitCode === null) supervisor.child.kill("SIGKILL");
      for (const pid of pids) if (alive(pid)) process.kill(-pid, "SIGKILL");
      await receiver.close();
    }
  });

  it("a second SIGTERM is passed on: the children hand their running job back at once and everything exits", async () => {
    const receiver = await startTestReceiver();
    const supervisor = startSupervisor({
      WORKER_PROCESSES: "2",
      WORKER_QUEUES: "webhook",
      HEALTH_PORT: "0",
      WORKER_SHUTDOWN_GRACE: "5m", // the first signal alone would wait this long for the hanging job
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    });
    const pids: number[] = [];
    try {
      pids.push(...((await supervisor.line((l) => l.msg === "supervisor started")).pids as number[]));
      for (const pid of pids) await supervisor.line((l) => l.msg === "worker started" && fromPid(l, pid), 0);
      receiver.reply("hang");
      const keys = queueKeys("webhook");
      const localId = await enqueueOne(ioredisRunner(redis), keys, JOBS.webhook, { url: `${receiver.origin}/hooks`, body: {} });
      await receiver.nextDelivery();

      supervisor.child.kill("SIGTERM");
      // Both children have begun their graceful stop (and wait for the hanging job) before the second signal.
      await supervisor.line((l) => l.msg === "graceful shutdown" && supervisor.lines.filter((m) => m.msg === "graceful shutdown").length === 2, 0);
      supervisor.child.kill("SIGTERM");
      const exit = await supervisor.exited;
      expect(exit.signal).toBeNull();
      expect(supervisor.lines.some((l) => l.msg === "second signal: passing it on (running jobs are handed back at once)")).toBe(true);
      expect(pids.filter(alive)).toEqual([]);
      const status = await waitForState(ioredisRunner(redis), keys, localId, "waiting");
      expect(status.attempt).toBe(0); // handed back: its attempt given back
    } finally {
      if (supervisor.child.exitCode === null) supervisor.child.kill("SIGKILL");
      for (const pid of pids) if (alive(pid)) process.kill(-pid, "SIGKILL");
      await receiver.close();
    }
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
