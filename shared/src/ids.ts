/**
 * Job ids: `<queue>.<local>`, e.g. `webhook.mfz3k2x9q1a8b7c6`. The queue part lets `GET /v1/jobs/{id}` find the
 * job's hash-tagged keys without a global index; inside Redis only the 16-character local part is stored
 * (wait list entries, key names), which keeps memory per job small.
 *
 * Ids are made by the client before the request, so a request re-sent by @upstash/redis after a network error
 * carries the same id and the enqueue script recognises it instead of creating a second job.
 */
/** A local id's shape. The Lua scripts get it from here too (generated prelude), so it is written once. */
export const LOCAL_ID = /^[0-9a-z]{16}$/;
export const QUEUE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** 8 chars of base36 time (sortable until 2059) + 8 random base36 chars (~41 bits: ids also differ in time). */
export function newLocalId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(8, "0").slice(-8);
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let random = "";
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return time + random;
}

export function jobId(queue: string, localId: string): string {
  return `${queue}.${localId}`;
}

/**
 * @example
 * parseJobId("webhook.mfz3k2x9q1a8b7c6") // { queue: "webhook", localId: "mfz3k2x9q1a8b7c6" }
 * parseJobId("nope") // undefined
 */
export function parseJobId(id: string): { queue: string; localId: string } | undefined {
  const dot = id.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const queue = id.slice(0, dot);
  const localId = id.slice(dot + 1);
  return QUEUE_NAME.test(queue) && LOCAL_ID.test(localId) ? { queue, localId } : undefined;
}

export function isLocalId(entry: string): boolean {
  return LOCAL_ID.test(entry);
}
