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
