/**
 * Ids derived from an event, so that every side computes the same ones without asking Redis: the edge answers
 * the 202 with the target ids before anything runs, and a worker expanding the event (again, after a crash)
 * enqueues exactly those ids, which the enqueue script's "existing id" path turns into no-ops.
 *
 * A derived local id is 16 characters [0-9a-z] taken from a SHA-256 (byte mod 36: a slight bias towards the
 * first 4 characters of the alphabet, ~78 bits of hash remain, far more than enough to never collide). Unlike
 * `newLocalId` it does not sort by time; nothing relies on that.
 */
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
const encoder = new TextEncoder();

/** 16 characters [0-9a-z] from the SHA-256 of `text` (also the callback ids, shared/src/callbacks.ts). */
export async function hashId(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  let id = "";
  for (let i = 0; i < 16; i++) id += ALPHABET[digest[i]! % 36];
  return id;
}

/**
 * The local id of the job an event creates for one target.
 * @example
 * await targetLocalId("mfz3k2x9q1a8b7c6", "webhook") // same 16 chars on the edge and in every worker
 */
export function targetLocalId(eventLocalId: string, target: string): Promise<string> {
  return hashId(`target\n${eventLocalId}\n${target}`);
}

/**
 * The local id of an event's own job when the client chose the event id (`?id=`): a re-send finds the same job.
 * @example
 * await clientEventLocalId("order-paid", "order-1234")
 */
export function clientEventLocalId(event: string, clientId: string): Promise<string> {
  return hashId(`event\n${event}\n${clientId}`);
}
