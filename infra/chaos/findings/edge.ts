/** Probes for bugs in the edge (edge/src), against the chaos stack (workerd, REST endpoint, redis-server). */
import type { ChaosStack } from "../stack";
import type { Probe } from "./support";
import { countJobRecords } from "../scenarios/common";

/** Probes that need the stack get it at run time. */
export interface EdgeProbe extends Omit<Probe, "run"> {
  run(stack: ChaosStack): ReturnType<Probe["run"]>;
}

/**
 * The webhook schema's `body: z.json()` validates recursively; in workerd a body nested ~1,400 levels deep
 * overflows the stack, the RangeError is not a validation failure, and `problemHandler` turns it into a 500.
 * A 64-byte-per-level body is far under MAX_BODY_BYTES, so any client can trigger it.
 */
export const deepWebhookBody500: EdgeProbe = {
  id: "deep-webhook-body-500",
  title: "POST /v1/jobs/webhook with a `body` nested ~1,400+ levels deep answers 500 instead of 400",
  area: "edge",
  status: "fixed",
  fixedBy: "a0253c0",
  async run(stack) {
    const depth = 2_000;
    const response = await fetch(`${stack.edgeUrl}/v1/jobs/webhook`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
      body: `{"url":"https://example.com/hook","body":${"[".repeat(depth)}1${"]".repeat(depth)}}`,
    });
    const text = await response.text();
    return { reproduced: response.status >= 500, evidence: `depth ${depth} (${4_000 + 45} bytes): ${response.status} ${text.slice(0, 160)}` };
  },
};

/**
 * When Redis stalls (not down: the connection stays open, the command waits), the edge gives up after its
 * 5 s storage timeout and answers 503, but the REST endpoint has already sent the script to Redis, which runs it
 * as soon as it resumes: the refused jobs exist and will run. The edge cannot know, so the fix is on the
 * client's side of the contract: the batch route takes an Idempotency-Key (it did not), and a retry with the
 * same key and body answers the jobs the stalled request created instead of enqueueing them again.
 * Reproduced while that retry is refused, or creates jobs of its own.
 */
export const stalled503StillEnqueues: EdgeProbe = {
  id: "stalled-503-still-enqueues",
  title: "A batch answered 503 while Redis stalled is still applied once Redis resumes, and a client's retry enqueued it twice (no Idempotency-Key on batches)",
  area: "edge",
  status: "fixed",
  fixedBy: "e63db47",
  async run(stack) {
    await stack.reset();
    const info = String(await stack.redis.call("INFO", "server"));
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    const send = () =>
      fetch(`${stack.edgeUrl}/v1/jobs/noop/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json", "idempotency-key": "stalled-batch-1" },
        body: JSON.stringify([{ data: { n: 1 } }, { data: { n: 2 } }, { data: { n: 3 } }]),
      });
    process.kill(pid, "SIGSTOP");
    let first: Response;
    let firstBody = "";
    try {
      first = await send();
      firstBody = await first.text();
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await stack.upstash.redisReady();
    const applied = await countJobRecords(stack.redis, "noop");
    // The client's retry after the 503, as the route's 503 text tells it to.
    const retry = await send();
    const retryBody = await retry.text();
    const records = await countJobRecords(stack.redis, "noop");
    const replayed = retry.headers.get("idempotent-replayed");
    return {
      // A stall that did not end in a 503 would test nothing: only a 503 followed by a safe retry counts as fixed.
      reproduced: first.status !== 503 || retry.status !== 202 || records !== 3 || (applied > 0 && replayed !== "true"),
      evidence:
        `first answer ${first.status} ${firstBody.slice(0, 80)}; job records after Redis resumed: ${applied}; ` +
        `retry with the same key: ${retry.status} (Idempotent-Replayed: ${replayed}) ${retryBody.slice(0, 80)}; job records now: ${records}`,
    };
  },
};
