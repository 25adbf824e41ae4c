/**
 * Poison in Redis: entries and records that no edge would write (a buggy producer, a hand-edited key, an older
 * or newer version) pushed straight into the noop wait list, interleaved with good jobs enqueued through the
 * edge, while chaos worker processes run. Each kind must be dead-lettered with its reason and the good jobs
 * must all complete, each exactly once. (Entries that are not ids, not UTF-8, empty, or whose key is not a hash
 * used to break the worker: findings/ keeps their reproductions as regression tests.)
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { isLocalId, newLocalId } from "../../../shared/src/ids";
import { queueKeys } from "../../../shared/src/keys";
import { auditJobs, reasonOf, waitForDrain } from "../audit";
import { readEvidence } from "../evidence";
import { BUILD_DIR, createFleet } from "../fleet";
import { generateLoad } from "../load";
import { Checks, sample, type ScenarioResult } from "../result";
import type { ChaosStack } from "../stack";

export interface PoisonParams {
  workers: number;
  /** Rounds of (good batch through the edge, one of each poison kind). */
  rounds: number;
  goodPerRound: number;
  drainTimeoutMs: number;
}

interface PoisonKind {
  kind: string;
  /** The wait-list entry (bytes that are not UTF-8 as a Buffer). */
  entry: () => string | Buffer;
  /** A record written under the entry; `"string"`: a plain string key where the record should be. */
  record?: Record<string, string> | "string";
  /** Expected dead-letter reason; undefined: must not be dead-lettered at all (markers). */
  reason?: string;
}

const record = (fields: Record<string, string>) => ({
  v: "1", n: "noop", d: "{}", s: "waiting", a: "0", m: "3", c: String(Date.now()), ...fields,
});

const KINDS: PoisonKind[] = [
  { kind: "garbage entry", entry: () => `%%garbage-${newLocalId()}%%`, reason: "invalid_entry" },
  { kind: "empty entry", entry: () => "", reason: "invalid_entry" },
  { kind: "unicode entry", entry: () => `💥✓-${newLocalId()}`, reason: "invalid_entry" },
  { kind: "10 KB entry", entry: () => `${newLocalId()}${"x".repeat(10_000)}`, reason: "invalid_entry" },
  { kind: "entry not UTF-8", entry: () => Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(newLocalId())]), reason: "invalid_entry" },
  { kind: "id without record", entry: newLocalId, reason: "missing_record" },
  { kind: "job key not a hash", entry: newLocalId, record: "string", reason: "unreadable_record" },
  { kind: "truncated JSON", entry: newLocalId, record: record({ d: '{"ms": 1, "tag": "tru' }), reason: "malformed_json" },
  { kind: "options not JSON", entry: newLocalId, record: record({ o: "{timeoutMs:" }), reason: "malformed_json" },
  { kind: "unknown job name", entry: newLocalId, record: record({ n: "no-such-job" }), reason: "unknown_job" },
  { kind: "wrong version (99)", entry: newLocalId, record: record({ v: "99" }), reason: "wrong_version" },
  { kind: "wrong version (0)", entry: newLocalId, record: record({ v: "0" }), reason: "wrong_version" },
  { kind: "missing fields", entry: newLocalId, record: { s: "waiting" }, reason: "invalid_envelope" },
  { kind: "maxAttempts not a number", entry: newLocalId, record: record({ m: "lots" }), reason: "invalid_envelope" },
  { kind: "createdAt not a number", entry: newLocalId, record: record({ c: "yesterday" }), reason: "invalid_envelope" },
  { kind: "negative timeout option", entry: newLocalId, record: record({ o: '{"timeoutMs":-5}' }), reason: "invalid_envelope" },
  { kind: "unknown option", entry: newLocalId, record: record({ o: '{"priority":1}' }), reason: "invalid_envelope" },
  { kind: "payload is an array", entry: newLocalId, record: record({ d: "[1,2,3]" }), reason: "invalid_payload" },
  { kind: "payload is a string", entry: newLocalId, record: record({ d: '"hello"' }), reason: "invalid_payload" },
  { kind: "payload is null", entry: newLocalId, record: record({ d: "null" }), reason: "invalid_payload" },
  { kind: "wake markers", entry: () => "~" },
];

/**
 * Where the dead-letter of an entry goes (claim.lua's dead_letter_entry): under the entry itself when it is a
 * job id with a readable (or no) record, else under the first 16 hex digits of the SHA-1 of its bytes.
 */
function deadIdOf(kind: PoisonKind, entry: string | Buffer): string {
  const usable = typeof entry === "string" && isLocalId(entry) && kind.record !== "string";
  return usable ? entry : createHash("sha1").update(entry).digest("hex").slice(0, 16);
}

export async function runPoisonScenario(stack: ChaosStack, params: PoisonParams): Promise<ScenarioResult> {
  const started = performance.now();
  await stack.reset();
  const check = new Checks();
  const { redis } = stack;
  const keys = queueKeys("noop");
  const fleet = createFleet({ env: { REDIS_URL: stack.redisServer.url, WORKER_CONCURRENCY: "8", JOB_MS_MIN: "1", JOB_MS_MAX: "5" }, logFile: join(BUILD_DIR, "logs", "poison.log") });
  const good: string[] = [];
  /** Expected dead-letter id → the kind pushed (an entry pushed in several rounds, like "", dies once). */
  const expectedDead = new Map<string, PoisonKind>();
  const duplicated: string[] = [];
  let pushed = 0;
  let unexpected = 0;
  try {
    await Promise.all(Array.from({ length: params.workers }, () => fleet.spawn()));
    for (let round = 0; round < params.rounds; round += 1) {
      const load = await generateLoad({ edgeUrl: stack.edgeUrl, apiKey: stack.apiKey, jobs: params.goodPerRound, batchShare: 1, maxBatch: 50, concurrency: 4 });
      good.push(...load.acked);
      unexpected += load.unexpected.length;
      for (const kind of KINDS) {
        const entry = kind.entry();
        if (kind.record === "string") await redis.set(keys.job(String(entry)), "not a hash");
        else if (kind.record) await redis.hset(keys.job(String(entry)), kind.record);
        if (kind.reason) expectedDead.set(deadIdOf(kind, entry), kind);
        await redis.lpush(keys.wait, ...(kind.kind === "wake markers" ? Array<string>(20).fill("~") : [entry]));
        pushed += 1;
      }
      // A good job pushed a second time (a producer retrying by hand): it must still run once.
      const again = load.acked[0]!;
      await redis.lpush(keys.wait, again.slice("noop.".length));
      duplicated.push(again);
    }

    try {
      await waitForDrain(redis, "noop", params.drainTimeoutMs);
    } catch (error) {
      const stuck: string[] = [];
      for (const key of await redis.keys(`${keys.activePrefix}*`)) stuck.push(...(await redis.lrange(key, 0, -1)).filter((entry) => entry !== "~"));
      check.that(false, `${(error as Error).message}; still in flight: ${stuck.map((entry) => JSON.stringify(entry.slice(0, 60))).join(", ")}`);
    }
    check.that(fleet.unexpectedExits().length === 0, `workers crashed: ${sample(fleet.unexpectedExits())}`);
  } finally {
    await fleet.stopAll();
  }

  const goodFates = await auditJobs(redis, good);
  check.equal(goodFates.completed, good.length, "good jobs completed");
  check.that(goodFates.lost.length === 0, `good jobs lost: ${sample(goodFates.lost)}`);
  const evidence = await readEvidence(redis);
  const ranTwice = duplicated.filter((id) => (evidence.executions.get(id) ?? 0) !== 1);
  check.that(ranTwice.length === 0, `a job pushed twice ran ${sample(ranTwice.map((id) => evidence.executions.get(id)))} times`);

  const wrong: string[] = [];
  const reasons: Record<string, number> = {};
  for (const [deadId, kind] of expectedDead) {
    const [state, error] = await redis.hmget(keys.job(deadId), "s", "e");
    const reason = reasonOf(error ?? null);
    reasons[reason ?? "(none)"] = (reasons[reason ?? "(none)"] ?? 0) + 1;
    if (state !== "dead" || reason !== kind.reason) wrong.push(`${kind.kind}: ${state ?? "no record"}/${reason ?? "no reason"} under ${deadId} (expected dead/${kind.reason})`);
  }
  const deadIds = await redis.zrange(keys.dead, "0", "-1");
  const unexpectedDead = deadIds.filter((id) => !expectedDead.has(id));
  check.that(wrong.length === 0, `poison not dead-lettered as expected: ${sample(wrong, 10)}`);
  check.that(unexpectedDead.length === 0, `dead-lettered but not poison: ${sample(unexpectedDead)}`);
  const deadCount = deadIds.length;
  check.equal(deadCount, expectedDead.size, "dead-letter entries");
  check.equal(unexpected, 0, "unexpected answers from the edge");

  return {
    name: "poison",
    durationMs: Math.round(performance.now() - started),
    metrics: {
      acknowledged: good.length,
      completed: goodFates.completed,
      dead: deadCount,
      lost: goodFates.lost.length + goodFates.unfinished.length,
      duplicateExecutions: [...evidence.executions.values()].filter((count) => count > 1).length,
      fiveXx: 0,
    },
    details: { poisonPushed: pushed, kinds: KINDS.map((kind) => `${kind.kind} → ${kind.reason ?? "ignored"}`), deadReasons: reasons },
    failures: check.failures,
  };
}
