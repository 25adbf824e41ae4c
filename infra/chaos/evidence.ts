/**
 * Where the chaos worker's handler leaves its evidence (outside the `offload:` prefix, so it never counts as
 * queue state), and how the scenarios read it back.
 */
import type { Redis } from "ioredis";

/** HASH job id → times a run of it started. */
export const EXECUTIONS_KEY = "chaos:executions";
/** HASH worker id → runs it started. */
export const RUNS_BY_WORKER_KEY = "chaos:runs-by-worker";
/** LIST per job id: one "<workerId> attempt=<n> at=<ms>" line per run. */
export const RUN_LOG_PREFIX = "chaos:runs:";
/** STRING per job id, set NX by the run that applied the side effect (value: that worker's id). */
export const EFFECT_KEY_PREFIX = "chaos:effect:";
/** Counter: effect writes that created their key (must equal the number of distinct jobs that got one). */
export const EFFECTS_APPLIED_KEY = "chaos:effects";
/** Counter: effect writes attempted, duplicates included. */
export const EFFECT_WRITES_KEY = "chaos:effect-writes";
/** SET of run tokens already recorded (one per run, and one per effect write), see `recordRun`. */
export const RUN_TOKENS_KEY = "chaos:run-tokens";

/**
 * The handler's two evidence writes, each one script guarded by a token unique to the run. Why the token: the
 * evidence connection keeps ioredis's default re-send of unanswered commands (it must wait out a Redis restart,
 * not fail the run), and a Redis SIGKILLed after it appended a write to its AOF but before the reply went out
 * runs that write again when the client re-sends it. Counted twice, that looked like a job run twice by the same
 * worker at the same millisecond (CI, stop 18). With the token the re-sent write changes nothing.
 */
const RECORD_RUN = `
  if redis.call('SADD', KEYS[4], ARGV[1]) == 0 then return 0 end
  redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  redis.call('RPUSH', KEYS[3], ARGV[4])
  return 1`;
/** Returns 1 when this write applied the effect (created its key), 0 when it was there, -1 for a re-sent write. */
const APPLY_EFFECT = `
  if redis.call('SADD', KEYS[4], ARGV[1]) == 0 then return -1 end
  redis.call('INCR', KEYS[3])
  if redis.call('SET', KEYS[1], ARGV[2], 'NX') then
    redis.call('INCR', KEYS[2])
    return 1
  end
  return 0`;

export interface RunEvidence {
  /** Unique per run (a re-sent write carries the same one). */
  token: string;
  jobId: string;
  workerId: string;
  attempt: number;
  at: number;
}

/** Counts a run that started: executions, runs by worker and the run log line, once per token. */
export function recordRun(redis: Redis, run: RunEvidence): Promise<unknown> {
  return redis.eval(RECORD_RUN, 4, EXECUTIONS_KEY, RUNS_BY_WORKER_KEY, RUN_LOG_PREFIX + run.jobId, RUN_TOKENS_KEY,
    `run:${run.token}`, run.jobId, run.workerId, `${run.workerId} attempt=${run.attempt} at=${run.at}`);
}

/** The run's side effect, keyed by job id (SET NX), once per token; true when this run applied it. */
export async function applyEffect(redis: Redis, run: RunEvidence): Promise<boolean> {
  const reply = await redis.eval(APPLY_EFFECT, 4, EFFECT_KEY_PREFIX + run.jobId, EFFECTS_APPLIED_KEY, EFFECT_WRITES_KEY, RUN_TOKENS_KEY,
    `effect:${run.token}`, run.workerId);
  return reply === 1;
}

export interface Evidence {
  executions: Map<string, number>;
  effectsApplied: number;
  effectWrites: number;
}

export async function readEvidence(redis: Redis): Promise<Evidence> {
  const [executions, applied, writes] = await Promise.all([
    redis.hgetall(EXECUTIONS_KEY),
    redis.get(EFFECTS_APPLIED_KEY),
    redis.get(EFFECT_WRITES_KEY),
  ]);
  return {
    executions: new Map(Object.entries(executions).map(([id, count]) => [id, Number(count)])),
    effectsApplied: Number(applied ?? 0),
    effectWrites: Number(writes ?? 0),
  };
}

/** Which of `ids` have an effect key, by pipelined EXISTS (batches of 1,000). */
export async function idsWithEffect(redis: Redis, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 1_000) {
    const slice = ids.slice(i, i + 1_000);
    const pipeline = redis.pipeline();
    for (const id of slice) pipeline.exists(EFFECT_KEY_PREFIX + id);
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([, exists], index) => {
      if (exists === 1) found.add(slice[index]!);
    });
  }
  return found;
}

/** The run log of each id, with its record (state, attempt, stalls), for explaining duplicates in reports. */
export async function explainRuns(redis: Redis, ids: readonly string[]): Promise<Record<string, { runs: string[]; record: Record<string, string> }>> {
  const out: Record<string, { runs: string[]; record: Record<string, string> }> = {};
  for (const id of ids) {
    const localId = id.slice(id.lastIndexOf(".") + 1);
    const queue = id.slice(0, id.lastIndexOf("."));
    const record = await redis.hgetall(`offload:{${queue}}:job:${localId}`);
    delete record.d;
    delete record.x;
    out[id] = { runs: await redis.lrange(RUN_LOG_PREFIX + id, 0, -1), record };
  }
  return out;
}
