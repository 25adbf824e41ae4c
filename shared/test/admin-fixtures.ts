/**
 * What the admin cases of the protocol suite share: the context they run in (runner under test, fresh keys,
 * a direct connection), a job type, and helpers to arrange Redis and follow cursors. No Redis mocks: the
 * counting runner only records the calls the real runner makes.
 */
import { Redis } from "ioredis";
import { z } from "zod";
import { defineJob } from "../src/job-definition";
import type { QueueKeys } from "../src/keys";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { listJobs, type JobDetail } from "../src/ops/admin";
import type { JobState } from "../src/record";
import type { ScriptCall, ScriptRunner } from "../src/script-runner";

export interface AdminCaseContext {
  /** The runner under test (ioredis or Upstash REST). */
  runner(): ScriptRunner;
  /** This test's queue keys (a fresh prefix per test). */
  keys(): QueueKeys;
  /** A direct ioredis connection for arranging and inspecting Redis. */
  direct(): Redis;
  redisUrl(): string;
  runnerName: string;
}

export const job = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3 });
export const T0 = 1_800_000_000_000;

/** Resolves once Redis reports the named connection blocked in `command` (a state, not a timer). */
export async function untilBlocked(direct: Redis, clientName: string, command: string): Promise<void> {
  for (;;) {
    const list = String(await direct.client("LIST"));
    const line = list.split("\n").find((l) => l.includes(` name=${clientName} `));
    if (line?.includes(` cmd=${command} `) && / flags=\S*b/.test(line)) return;
  }
}

/** A 16-character local id with a readable prefix. */
export const lid = (prefix: string, n: number) => prefix + String(n).padStart(16 - prefix.length, "0");

/** Every page of a listing, following cursors to the end. */
export async function allPages(runner: ScriptRunner, keys: QueueKeys, state: JobState, limit: number): Promise<JobDetail[][]> {
  const pages: JobDetail[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await listJobs(runner, keys, { state, limit, ...(cursor === undefined ? {} : { cursor }) });
    pages.push(page.jobs);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
}

export const localIds = (jobs: JobDetail[]) => jobs.map((j) => j.id.slice(j.id.indexOf(".") + 1));

/**
 * A ScriptRunner that records every call and its reply, to check that bulk operations stay within BULK_CHUNK
 * ids per script call (a wrapper around the real runner, not a mock: every call still runs in Redis).
 */
export function countingRunner(inner: ScriptRunner) {
  const calls: { name: string; reply: unknown }[] = [];
  const runner: ScriptRunner = {
    async run(call) {
      const reply = await inner.run(call);
      calls.push({ name: call.script.name, reply });
      return reply;
    },
    runMany: (many) => inner.runMany(many),
  };
  return { runner, calls };
}

/**
 * Dead letters written straight into Redis as the settle script leaves them, by a test-only script: one EVAL
 * per 10,000 (a pipeline of 300,000 commands costs seconds of client time on a busy machine).
 */
const SEED_DEAD = `
for i = 0, tonumber(ARGV[3]) - 1 do
  local n = tonumber(ARGV[4]) + i
  local id = ARGV[2] .. string.rep('0', 16 - #ARGV[2] - #tostring(n)) .. n
  local key = ARGV[1] .. id
  local diedAt = tonumber(ARGV[5]) + n
  redis.call('HSET', key, 'v', '1', 'd', '{}', 's', 'dead', 'm', '3', 'a', '3', 'f', diedAt, 'e', '{"message":"boom"}')
  redis.call('PEXPIRE', key, 3600000)
  redis.call('ZADD', KEYS[1], diedAt, id)
end`;

export async function seedDead(direct: Redis, keys: QueueKeys, prefix: string, count: number, firstDiedAt: number): Promise<string[]> {
  for (let first = 0; first < count; first += 10_000) {
    await direct.eval(SEED_DEAD, 1, keys.dead, keys.jobPrefix, prefix, Math.min(10_000, count - first), first, firstDiedAt);
  }
  return Array.from({ length: count }, (_, n) => lid(prefix, n));
}

/** Runs a bounded script call until it reports nothing left; returns how many calls it took. */
export async function drain(runner: ScriptRunner, call: ScriptCall): Promise<number> {
  let calls = 0;
  for (;;) {
    calls++;
    if (Number(await runner.run(call)) === 0) return calls;
  }
}

/** Enqueues `count` jobs through the runner under test; their local ids in run order. */
export async function createJobs(ctx: AdminCaseContext, count: number, now = T0): Promise<string[]> {
  const jobs = await Promise.all(Array.from({ length: count }, (_, n) => prepareJob(job, { n })));
  return (await enqueue(ctx.runner(), ctx.keys(), jobs, now)).map((result) => result.localId);
}
