/**
 * Groups (shared/PROTOCOL.md "Groups"): the jobs of a queue that share a group key (a tenant, a destination
 * host) are started round robin against the other groups, and a definition's `groupLimits` cap each group on its
 * own. The key comes from the request (`group=<key>`, which wins) or from the definition's `group(data)`.
 * Pure functions: the edge, the worker and the definitions share them.
 */
import type { RateLimit } from "./limits";

/** A group key: 1–128 printable ASCII characters, no space (it becomes part of Redis key names and logs). */
export const GROUP_KEY = /^[\x21-\x7e]{1,128}$/;
export const GROUP_KEY_HINT = "1 to 128 printable ASCII characters without spaces";

/** Per-group limits of a definition, as the claim sends them (null: none). */
export interface GroupLimits {
  concurrency: number | null;
  rateLimit: RateLimit | null;
}

/**
 * What a definition's `group(data)` returned, as a group key: `undefined` for none (nullish, "" or a function
 * that threw: the job is then ungrouped), the text itself when it is a valid key, else a stable digest of it
 * (`#` + 32 hex digits of its SHA-256), so a long or odd tenant id still groups its jobs together.
 */
export async function derivedGroupKey(value: unknown): Promise<string | undefined> {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "bigint" ? String(value) : JSON.stringify(value);
  if (text === "" || text === undefined) return undefined;
  if (GROUP_KEY.test(text)) return text;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, "0");
  return `#${hex}`;
}
