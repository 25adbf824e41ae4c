/** Probes for bugs in the edge (edge/src), against the chaos stack (workerd, REST endpoint, redis-server). */
import type { ChaosStack } from "../stack";
import type { Probe } from "./support";

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
 * 5 s storage timeout and answers 503 — the batch route documents "Nothing was enqueued" — but the REST endpoint
 * has already sent the script to Redis, which runs it as soon as it resumes. The refused jobs exist and will
 * run; a client that retries the batch (no Idempotency-Key on that route) enqueues every job twice.
 */
export const stalled503StillEnqueues: EdgeProbe = {
  id: "stalled-503-still-enqueues",
  title: "A batch answered 503 while Redis stalled is enqueued anyway once Redis resumes (the 503 says nothing was)",
  area: "edge",
  status: "open",
  async run(stack) {
    await stack.reset();
    const info = String(await stack.redis.call("INFO", "server"));
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    process.kill(pid, "SIGSTOP");
    let status = 0;
    let body = "";
    try {
      const response = await fetch(`${stack.edgeUrl}/v1/jobs/noop/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify([{ data: { n: 1 } }, { data: { n: 2 } }, { data: { n: 3 } }]),
      });
      status = response.status;
      body = await response.text();
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await stack.upstash.redisReady();
    const records = (await stack.redis.keys("offload:{noop}:job:*")).length;
    return {
      reproduced: status === 503 && records > 0,
      evidence: `answer ${status} ${body.slice(0, 120)}; job records in Redis after it resumed: ${records}`,
    };
  },
};
