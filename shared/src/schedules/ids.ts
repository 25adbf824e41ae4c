/**
 * The local id of a schedule's job for one tick: the first 16 base-36 digits of SHA-256("<queue> <schedule id>
 * <tick ms>"). Every worker computes the same id for the same tick, so the enqueue's "id already exists" check
 * makes two workers firing one tick create one job. 16 base-36 digits are ~82 bits: a collision with another
 * tick's id is as unlikely as one between random local ids.
 */
import { LOCAL_ID } from "../ids";

export async function scheduleLocalId(queue: string, scheduleId: string, tickMs: number): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${queue} ${scheduleId} ${tickMs}`)));
  let value = 0n;
  for (const byte of digest.subarray(0, 12)) value = (value << 8n) | BigInt(byte);
  const id = (value % 36n ** 16n).toString(36).padStart(16, "0");
  if (!LOCAL_ID.test(id)) throw new Error(`schedule id hash is not a local id: ${id}`);
  return id;
}
