/** Small helpers several scenarios share. */
import type { Redis } from "ioredis";
import { queueKeys } from "../../../shared/src/keys";
import { FIELD } from "../../../shared/src/record";
import { recordsOf } from "../audit";
import type { ChaosStack } from "../stack";

/** Job records of a queue: hashes (SCAN; the test Redis holds nothing else of that queue) and fresh jobs' packed ones. */
export async function countJobRecords(redis: Redis, queue: string, prefix?: string): Promise<number> {
  let cursor = "0";
  let count = await redis.hlen(queueKeys(queue, prefix).fresh);
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${queueKeys(queue, prefix).jobPrefix}*`, "COUNT", 1_000);
    cursor = next;
    count += batch.length;
  } while (cursor !== "0");
  return count;
}

/** Reads `count` random jobs through `GET /v1/jobs/{id}` and compares their state with the record in Redis. */
export async function sampleStatusThroughEdge(
  stack: ChaosStack,
  ids: readonly string[],
  count: number,
): Promise<{ checked: number; mismatches: { id: string; http: number; edge?: string; redis: string | null }[] }> {
  const chosen = [...ids].sort(() => Math.random() - 0.5).slice(0, count);
  const mismatches: { id: string; http: number; edge?: string; redis: string | null }[] = [];
  for (const id of chosen) {
    const response = await fetch(`${stack.edgeUrl}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${stack.apiKey}` }, signal: AbortSignal.timeout(30_000) });
    const body = (await response.json()) as { state?: string };
    const [record] = await recordsOf(stack.redis, [id]);
    const state = record?.[FIELD.state] ?? null;
    if (response.status !== 200 || body.state !== state) mismatches.push({ id, http: response.status, edge: body.state, redis: state });
  }
  return { checked: chosen.length, mismatches };
}
