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

/**
 * Random bytes are drawn from the platform in blocks and handed out 8 at a time: one `getRandomValues` call is a
 * native round trip that cost more than everything else in an id (profiled: a fifth of a 1,000-job batch's
 * producer time went to it). A block of 4 KB serves 512 ids; the bytes are as random as before, only fetched
 * fewer at a time. Costs 4 KB of memory per process.
 */
const POOL = new Uint8Array(4_096);
let poolOffset = POOL.length;

/** The base36 time part of the last id, for the millisecond it was made: ids made in one ms share it. */
let lastMs = -1;
let lastTime = "";

/** 8 chars of base36 time (sortable until 2059) + 8 random base36 chars (~41 bits: ids also differ in time). */
export function newLocalId(now: number = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now;
    lastTime = now.toString(36).padStart(8, "0").slice(-8);
  }
  if (poolOffset + 8 > POOL.length) {
    crypto.getRandomValues(POOL);
    poolOffset = 0;
  }
  let id = lastTime;
  for (let i = poolOffset; i < poolOffset + 8; i++) id += ALPHABET[POOL[i]! % 36];
  poolOffset += 8;
  return id;
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
