/**
 * Replica-acknowledged enqueue (ENQUEUE_REPLICAS > 0). Redis replicates asynchronously: a 202 for a job that only
 * the master had is a lost job if that master fails before its replica caught up. With this setting the
 * enqueue's Upstash request is a pipeline of three commands, still one HTTP request:
 *
 *   EVAL <enqueue.lua> …                      the enqueue, as always
 *   HINCRBY <prefix>:{q}:stats completed 0    a write that always replicates (see below); changes nothing
 *   WAIT <replicas> <timeout ms>              how many replicas have everything this connection wrote
 *
 * and the 202 is given only when WAIT answers at least `replicas`; otherwise `not_replicated` (503, Retry-After).
 * The job is written either way, so the retry must carry the same Idempotency-Key: it answers the same job and
 * waits again. Why the HINCRBY: WAIT waits for the offset of this connection's last *replicated* write, and a
 * retry answered "existing" writes nothing, so without it WAIT would answer at once without the job ever having
 * reached a replica. HINCRBY by 0 on a counter that exists (or becomes 0) is a write Redis always propagates, so
 * WAIT then covers everything written before it, whichever connection wrote it. Same slot as the queue (hash tag).
 *
 * Sent with `fetch` directly: @upstash/redis has no WAIT in its pipeline. Its REST contract is the documented
 * one (`POST /pipeline`, JSON array of commands, `[{ result } | { error }]`). The endpoint must run the
 * pipeline's commands on one connection in order, which upstash-local does (a dedicated connection per such
 * pipeline, on the node owning the keys under Redis Cluster).
 *
 * What it costs: the replication round trip (master → replica → ack, well under a millisecond on one host; a
 * network hop between zones otherwise) plus two small commands, on every enqueue request (measured in the README).
 */
import { notReplicated, redisUnavailable, type ScriptCall } from "../../shared/src/index";

export interface ReplicatedEnqueueOptions {
  url: string;
  token: string;
  replicas: number;
  waitTimeoutMs: number;
  /** Per HTTP attempt, on top of the WAIT's own timeout. */
  requestTimeoutMs: number;
  /** Re-sends after a network error: safe, the job ids were chosen before sending. */
  retries: number;
  retryAfterSeconds: number;
}

type UpstashAnswer = { result?: unknown; error?: string };

/** What an enqueue route's 503 says about this setting (OpenAPI), in one place. */
export const NOT_REPLICATED_NOTE =
  " With ENQUEUE_REPLICAS set, also `not_replicated`: the job was written but fewer replicas than required acknowledged it in time; retry with the same Idempotency-Key (the retry answers the same job once replicated).";

/**
 * @example
 * const reply = await replicatedEnqueue(enqueueCall(keys, jobs), { url, token, replicas: 1, waitTimeoutMs: 500, … });
 */
export async function replicatedEnqueue(call: ScriptCall, o: ReplicatedEnqueueOptions): Promise<unknown> {
  const wait = call.keys[(call.script.keys as readonly string[]).indexOf("wait")]!;
  const stats = `${wait.slice(0, -"wait".length)}stats`;
  const body = JSON.stringify([
    ["EVAL", call.script.source, call.keys.length, ...call.keys, ...call.args],
    ["HINCRBY", stats, "completed", "0"],
    ["WAIT", o.replicas, o.waitTimeoutMs],
  ]);
  let answers: UpstashAnswer[] | undefined;
  for (let attempt = 0; answers === undefined; attempt++) {
    try {
      const response = await fetch(`${o.url.replace(/\/$/, "")}/pipeline`, {
        method: "POST",
        headers: { authorization: `Bearer ${o.token}`, "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(o.waitTimeoutMs + o.requestTimeoutMs),
      });
      const parsed = (await response.json()) as UpstashAnswer[] | UpstashAnswer;
      if (!response.ok || !Array.isArray(parsed)) throw new Error(`upstash answered ${response.status}: ${(parsed as UpstashAnswer).error ?? "no pipeline reply"}`);
      answers = parsed;
    } catch (error) {
      if (attempt >= o.retries) throw redisUnavailable(error, o.retryAfterSeconds);
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
  const [script, , acknowledged] = answers;
  if (script?.error !== undefined) throw redisUnavailable(new Error(script.error), o.retryAfterSeconds);
  const replicas = Number(acknowledged?.result ?? 0);
  if (acknowledged?.error !== undefined || !(replicas >= o.replicas)) {
    throw notReplicated(Number.isFinite(replicas) ? replicas : 0, o.replicas, o.retryAfterSeconds);
  }
  return script?.result;
}
