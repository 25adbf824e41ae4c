/**
 * Where pickup latency goes (scenario 4, issue 9): one job enqueued to an idle, blocked worker → its handler
 * called, split into parts, for Offload (BLMOVE → claim EVALSHA) and bee-queue (BRPOPLPUSH → HGET).
 *
 *   npx tsx infra/bench/pickup-profile.ts [jobs=1000] [gapMs=10]   (scenario 4's numbers)
 *
 * Starts its own redis-server (free port). The worker runs in this process (so its steps can be timed through the
 * observer hooks, and bee-queue's by wrapping its two fetch calls), the producer in a process of its own
 * (pickup-producer.ts), as in scenario 4; times are clock() (wall clock, sub-ms), comparable across the two
 * processes on one machine. Per job, client side:
 *   - enqueue round trip: producer call → its promise resolved;
 *   - wake-up: producer call → the worker has the BLMOVE / BRPOPLPUSH reply (Offload: the `popped` observer hook;
 *     bee-queue: the brpoplpush callback, wrapped);
 *   - before the fetch call: wake-up → the claim (Offload) / HGET (bee-queue) is sent;
 *   - fetch round trip: claim / HGET sent → reply handled;
 *   - to the handler: that reply → the handler called (Offload: decode, schema check, run set-up);
 *   - pickup: producer's promise resolved → handler called (what scenario 4 reports).
 * Server side: every command's execution time from SLOWLOG (threshold 0 for the measured jobs), by command and,
 * for scripts, by script name; and INFO commandstats for the commands scripts run inside (µs per call), so the
 * claim script's cost can be split into its commands. A plain PING round trip on an idle connection is the floor.
 * SLOWLOG at threshold 0 also logs every command a script runs, which makes scripts read slower than they are (the
 * claim ≈ 300 µs there, ≈ 130 µs alone): for a script's own cost read the "alone" table, which runs without it.
 */
import BeeQueue from "bee-queue";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { SCRIPTS } from "../../shared/src/generated/scripts";
import { claimCall, gateLimitsOf, shortClaimCall } from "../../shared/src/ops/claim";
import { enqueue, prepareJob } from "../../shared/src/ops/enqueue";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { createWorker } from "../../worker/src/worker";
import { startRedisServer } from "../runtime/redis-server";
import { BENCH_REGISTRY, benchJob, PREFIX, QUEUE, payloadFor, type BenchPayload, type SystemName } from "./bench-job";
import { offloadKeys } from "./systems/offload";
import { percentile } from "./stats";
import { clock } from "./workers/protocol";

const CONCURRENCY = 10;
const WARMUP = 20;

type Parts = Record<string, number[]>;
const add = (parts: Parts, name: string, value: number) => (parts[name] ??= []).push(value * 1_000);

/** One pickup's parts from its clock() times, the same steps for both systems: pop reply, fetch sent, fetch reply. */
function addPickup(
  parts: Parts,
  names: { pop: string; fetch: string; roundTrip: string },
  t: { sent: number; resolved: number; popped: number; fetchSent: number; fetched: number; handlerAt: number },
): void {
  add(parts, "enqueue round trip", t.resolved - t.sent);
  add(parts, `wake-up (${names.pop} reply handled)`, t.popped - t.sent);
  add(parts, `wake-up → ${names.fetch} sent`, t.fetchSent - t.popped);
  add(parts, names.roundTrip, t.fetched - t.fetchSent);
  add(parts, `${names.fetch} reply → handler`, t.handlerAt - t.fetched);
  add(parts, "pickup (enqueue resolved → handler)", t.handlerAt - t.resolved);
}

interface ServerTimes {
  /** µs per call, by command (scripts by name). */
  top: Map<string, number[]>;
  /** commandstats delta: calls and µs, by command, including those run inside scripts. */
  inner: Map<string, { calls: number; usec: number }>;
}

const SCRIPT_BY_SHA = new Map<string, string>(Object.entries(SCRIPTS).map(([name, s]) => [s.sha1, name]));

async function commandStats(admin: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const text = await admin.info("commandstats");
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

/** Opens the server-side record: every command into SLOWLOG, commandstats from zero. */
async function startServerRecord(admin: Redis): Promise<void> {
  await admin.config("SET", "slowlog-max-len", "100000");
  await admin.config("SET", "slowlog-log-slower-than", "0");
  await admin.slowlog("RESET");
  await admin.config("RESETSTAT");
}

async function stopServerRecord(admin: Redis): Promise<ServerTimes> {
  await admin.config("SET", "slowlog-log-slower-than", "-1");
  const inner = await commandStats(admin);
  const entries = (await admin.slowlog("GET", "-1")) as [number, number, number, string[], string, string][];
  const top = new Map<string, number[]>();
  for (const [, , usec, args] of entries) {
    const command = args[0]!.toLowerCase();
    if (["config", "slowlog", "info", "ping"].includes(command)) continue;
    let name = command === "evalsha" ? `EVALSHA ${SCRIPT_BY_SHA.get(args[1]!) ?? args[1]!.slice(0, 8)}` : command.toUpperCase();
    // claim's ARGV[4] is "=<entry>" when it carries what BLMOVE moved: the pickup's own claim.
    if (name === "EVALSHA claim") name += args[3 + Number(args[2]) + 3]?.startsWith("=") ? " (pickup, BLMOVE'd entry)" : " (other)";
    (top.get(name) ?? top.set(name, []).get(name)!).push(usec);
  }
  return { top, inner };
}

async function pingFloor(url: string): Promise<number[]> {
  const redis = new Redis(url);
  const samples: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await redis.ping();
    samples.push((performance.now() - t) * 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  redis.disconnect();
  return samples;
}

/**
 * Each fetch call alone, one at a time on a quiet connection (no pickup around it): round trip in this process and
 * execution time in Redis (commandstats), µs. What the call costs by itself, next to PING (the floor of any round
 * trip) and a script that does nothing (the fixed cost of any EVALSHA).
 */
async function callsAlone(url: string, admin: Redis, n: number): Promise<Record<string, { rtt: number[]; serverUs: number; inner: Map<string, number> }>> {
  const redis = new Redis(url, { protocol: 2 });
  const runner = ioredisRunner(redis);
  const out: Record<string, { rtt: number[]; serverUs: number; inner: Map<string, number> }> = {};
  const noop = (await admin.script("LOAD", "return 1")) as string;
  await admin.hset("alone:record", "data", JSON.stringify({ data: payloadFor(1), options: {} }));
  // The claim script up to its first statement that runs (its local helper functions and constants only): what
  // defining them costs on every call, measured without editing the script.
  const body = SCRIPTS.claim.source.indexOf("\nlocal now = tonumber(ARGV[1])");
  const prelude = (await admin.script("LOAD", `${SCRIPTS.claim.source.slice(0, body)}\nreturn 1`)) as string;
  const claimArgs = { leaseMs: 30_000, limits: gateLimitsOf(benchJob) };
  let movedId = "";
  const cases: [string, string, (i: number) => Promise<unknown>, ((i: number) => Promise<unknown>)?][] = [
    ["PING", "ping", () => redis.ping()],
    ["HGET (bee-queue's fetch)", "hget", () => redis.hget("alone:record", "data")],
    ["EVALSHA of `return 1`", "evalsha", () => redis.evalsha(noop, 0)],
    ["EVALSHA claim's prelude alone", "evalsha", () => redis.evalsha(prelude, 0)],
    ["EVALSHA claim, wait list empty", "evalsha", () => runner.run(claimCall(offloadKeys, "alone-empty", 1, claimArgs))],
    [
      "EVALSHA claim of 1 waiting job",
      "evalsha",
      () => runner.run(claimCall(offloadKeys, "alone", 1, claimArgs)),
      async (i) => void (await enqueue(runner, offloadKeys, [await prepareJob(benchJob, payloadFor(i))])),
    ],
    [
      // What a pickup from idle sends now: the job a BLMOVE moved, claimed by claim_short.
      "EVALSHA claim_short of 1 BLMOVE'd job",
      "evalsha",
      () => runner.run(shortClaimCall(offloadKeys, "alone-short", { moved: movedId, leaseMs: 30_000 })!),
      async (i) => {
        await enqueue(runner, offloadKeys, [await prepareJob(benchJob, payloadFor(i))]);
        await redis.lrem(offloadKeys.wait, 0, "~"); // an earlier claim's wake-up marker would be what LMOVE takes
        movedId = (await redis.lmove(offloadKeys.wait, offloadKeys.active("alone-short"), "RIGHT", "LEFT"))!;
      },
    ],
  ];
  for (const [name, stat, call, before] of cases) {
    const rtt: number[] = [];
    let serverUs = 0;
    // µs per call of each command the script ran inside (everything but the call itself and our own INFO).
    const inner = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      await before?.(i);
      await admin.config("RESETSTAT");
      const t = performance.now();
      await call(i);
      rtt.push((performance.now() - t) * 1_000);
      const stats = await commandStats(admin);
      serverUs += stats.get(stat)?.usec ?? 0;
      for (const [command, { usec }] of stats) {
        if (command !== stat && command !== "info" && !command.startsWith("config")) inner.set(command, (inner.get(command) ?? 0) + usec / n);
      }
    }
    out[name] = { rtt, serverUs: serverUs / n, inner };
  }
  redis.disconnect();
  return out;
}

/** The producer process (pickup-producer.ts): `enqueue(i)` resolves with its clock() times. */
async function startProducer(system: SystemName, url: string): Promise<{ enqueue(i: number): Promise<{ sent: number; resolved: number }>; close(): Promise<void> }> {
  const child: ChildProcess = fork(join(import.meta.dirname, "pickup-producer.ts"), [system, url], { execArgv: ["--import", "tsx"] });
  await once(child, "message");
  return {
    enqueue(userId) {
      const reply = once(child, "message").then(([m]) => m as { sent: number; resolved: number });
      child.send({ userId });
      return reply;
    },
    async close() {
      child.send({});
      await once(child, "exit");
    },
  };
}

/** One pickup loop: `enqueue(i)` then wait for the handler; the caller's hooks fill `marks` for job i. */
async function pickupLoop(jobs: number, gapMs: number, admin: Redis, step: (i: number) => Promise<void>): Promise<ServerTimes> {
  for (let i = 0; i < WARMUP; i++) {
    await step(i);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  await startServerRecord(admin);
  for (let i = WARMUP; i < WARMUP + jobs; i++) {
    await step(i);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return stopServerRecord(admin);
}

async function profileOffload(url: string, admin: Redis, jobs: number, gapMs: number): Promise<{ parts: Parts; server: ServerTimes }> {
  const parts: Parts = {};
  let mark: { sent: number; popped?: number; claimSent?: number; claimed?: number; handler?: (at: number) => void } = { sent: 0 };
  const worker = createWorker({
    redisUrl: url,
    prefix: PREFIX.offload,
    registry: BENCH_REGISTRY,
    handlers: { [QUEUE]: () => (mark.handler?.(clock()), null) },
    queues: [QUEUE],
    concurrency: CONCURRENCY,
    leaseMs: 30_000,
    shutdownGraceMs: 5_000,
    observers: [
      {
        popped: () => void (mark.popped = clock()),
        claimed: ({ ms, started }) => {
          if (started === 0) return;
          mark.claimed = clock();
          mark.claimSent = mark.claimed - ms;
        },
      },
    ],
    log: pino({ level: "warn" }),
  });
  await worker.start();
  const producer = await startProducer("offload", url);
  const step = async (i: number) => {
    const handled = new Promise<number>((resolve) => (mark = { sent: 0, handler: resolve }));
    const { sent, resolved } = await producer.enqueue(i);
    const handlerAt = await handled;
    const { popped, claimSent, claimed } = mark;
    if (claimSent === undefined || claimed === undefined) throw new Error(`offload job ${i}: the claim hook did not fire`);
    // Taken by a claim that was already on its way (the worker was not blocked yet): not a pickup from idle.
    if (popped === undefined) return void (parts["skipped: worker not blocked yet"] ??= []).push(i);
    addPickup(parts, { pop: "BLMOVE", fetch: "claim", roundTrip: "claim round trip (incl. reply parse)" }, { sent, resolved, popped, fetchSent: claimSent, fetched: claimed, handlerAt });
  };
  try {
    const server = await pickupLoop(jobs, gapMs, admin, step);
    return { parts, server };
  } finally {
    await producer.close();
    await worker.stop();
  }
}

async function profileBeeQueue(url: string, admin: Redis, jobs: number, gapMs: number): Promise<{ parts: Parts; server: ServerTimes }> {
  const parts: Parts = {};
  const { hostname, port } = new URL(url);
  const redis = { host: hostname, port: Number(port) };
  let mark: { sent: number; popped?: number; hgetSent?: number; hgot?: number; handler?: (at: number) => void } = { sent: 0 };
  const worker = new BeeQueue<BenchPayload>(QUEUE, { redis, prefix: PREFIX.beequeue, getEvents: false, sendEvents: false, storeJobs: false });
  await worker.ready();
  const producer = await startProducer("beequeue", url);
  // Wrap the two calls of bee-queue's fetch (queue.js _waitForJob, job.js fromId) to see when each reply lands.
  type Callback = (err: unknown, value: unknown) => void;
  type Client = Record<string, (...args: unknown[]) => unknown>;
  const wrap = (client: Client, command: string, before: () => void, after: () => void) => {
    const original = client[command]!.bind(client);
    client[command] = (...args: unknown[]) => {
      before();
      const cb = args.pop() as Callback;
      return original(...args, (err: unknown, value: unknown) => (after(), cb(err, value)));
    };
  };
  const internals = worker as unknown as { bclient: Client; client: Client };
  wrap(internals.bclient, "brpoplpush", () => {}, () => void (mark.popped = clock()));
  wrap(internals.client, "hget", () => void (mark.hgetSent = clock()), () => void (mark.hgot = clock()));
  worker.process(CONCURRENCY, async () => void mark.handler?.(clock()));
  const step = async (i: number) => {
    const handled = new Promise<number>((resolve) => (mark = { sent: 0, handler: resolve }));
    const { sent, resolved } = await producer.enqueue(i);
    const handlerAt = await handled;
    const { popped, hgetSent, hgot } = mark;
    if (popped === undefined || hgetSent === undefined || hgot === undefined) throw new Error(`bee-queue job ${i}: a hook did not fire`);
    if (popped < sent) return void (parts["skipped: worker not blocked yet"] ??= []).push(i);
    addPickup(parts, { pop: "BRPOPLPUSH", fetch: "HGET", roundTrip: "HGET round trip" }, { sent, resolved, popped, fetchSent: hgetSent, fetched: hgot, handlerAt });
  };
  try {
    const server = await pickupLoop(jobs, gapMs, admin, step);
    return { parts, server };
  } finally {
    await producer.close();
    await worker.close();
  }
}

const fmt = (v: number) => v.toFixed(0).padStart(6);

function print(title: string, parts: Parts, server: ServerTimes, jobs: number): void {
  console.log(`\n${title}: client side, µs (p50 / p90 / p99 over ${jobs} jobs)`);
  for (const [name, samples] of Object.entries(parts)) {
    if (name.startsWith("skipped")) {
      console.log(`  ${name}: ${samples.length} jobs`);
      continue;
    }
    console.log(`  ${name.padEnd(40)} ${fmt(percentile(samples, 50))} ${fmt(percentile(samples, 90))} ${fmt(percentile(samples, 99))}`);
  }
  console.log(`${title}: server side, execution time per call, µs (SLOWLOG; p50 / p99; calls per job)`);
  for (const [name, samples] of [...server.top].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${name.padEnd(40)} ${fmt(percentile(samples, 50))} ${fmt(percentile(samples, 99))}   ${(samples.length / jobs).toFixed(2)}`);
  }
  console.log(`${title}: every command incl. inside scripts (commandstats): calls per job, µs per call, µs per job`);
  for (const [name, { calls, usec }] of [...server.inner].sort((a, b) => b[1].usec - a[1].usec)) {
    if (["config", "slowlog", "info", "ping"].includes(name.split("|")[0]!)) continue;
    console.log(`  ${name.padEnd(40)} ${(calls / jobs).toFixed(2).padStart(6)} ${(usec / calls).toFixed(2).padStart(8)} ${(usec / jobs).toFixed(2).padStart(8)}`);
  }
}

async function main(): Promise<void> {
  const jobs = Number(process.argv[2] ?? 1_000);
  const gapMs = Number(process.argv[3] ?? 10);
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  try {
    const floor = await pingFloor(server.url);
    console.log(`PING round trip on an idle connection, µs: p50 ${fmt(percentile(floor, 50))}, p99 ${fmt(percentile(floor, 99))}`);
    await admin.flushall();
    console.log("\nEach call alone, µs: round trip p50 / p99, and mean execution time in Redis");
    for (const [name, { rtt, serverUs, inner }] of Object.entries(await callsAlone(server.url, admin, 300))) {
      console.log(`  ${name.padEnd(40)} ${fmt(percentile(rtt, 50))} ${fmt(percentile(rtt, 99))} ${fmt(serverUs)}`);
      const commands = [...inner].filter(([, us]) => us >= 0.05).sort((a, b) => b[1] - a[1]);
      if (name.includes("claim") && commands.length > 0) {
        const total = commands.reduce((a, [, us]) => a + us, 0);
        console.log(`      inside it, µs: ${commands.map(([c, us]) => `${c} ${us.toFixed(1)}`).join(", ")} (${total.toFixed(0)} in all)`);
      }
    }
    await admin.flushall();
    const offload = await profileOffload(server.url, admin, jobs, gapMs);
    print("Offload", offload.parts, offload.server, jobs);
    await admin.flushall();
    const bee = await profileBeeQueue(server.url, admin, jobs, gapMs);
    print("bee-queue", bee.parts, bee.server, jobs);
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

await main();
