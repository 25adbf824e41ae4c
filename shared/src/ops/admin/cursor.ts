/**
 * The opaque cursor of listJobs: `v1.` + base64url of a small JSON `{ s: state, a, b }` (a and b are what
 * list_jobs.lua resumes from: offset and last id, last score and id, or worker and offset). The version prefix
 * lets a later layout reject or translate old cursors; anything that does not parse, or was issued for another
 * state, is a validation error on `cursor`, never a 500 and never a silent first page.
 */
import { z } from "zod";
import { OffloadError } from "../../errors";
import { JOB_STATES, type JobState } from "../../record";

const PREFIX = "v1.";
const CursorSchema = z.object({ s: z.enum(JOB_STATES), a: z.string().max(200), b: z.string().max(200) });
export type CursorParts = { a: string; b: string };

const SCORE = /^-?\d+(\.\d+)?$/;
const COUNT = /^\d{1,9}$/;
/** Waiting jobs of another priority than the list's: "p" + their score in the priority zset. */
const PRIO = /^p\d{1,16}$/;
/** Waiting jobs of a group: "g" + the group key (flow/groups.ts GROUP_KEY), with the offset in its zset as b. */
const GROUP = /^g[\x21-\x7e]{1,128}$/;

function toBase64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

export function encodeCursor(state: JobState, parts: CursorParts): string {
  return PREFIX + toBase64Url(JSON.stringify({ s: state, a: parts.a, b: parts.b }));
}

function invalid(message: string): OffloadError {
  return new OffloadError("validation_failed", `Invalid cursor: ${message}`, { issues: [{ path: "cursor", message }] });
}

/** Parts to resume from; throws OffloadError("validation_failed") with the issue on `cursor`. */
export function decodeCursor(state: JobState, cursor: string): CursorParts {
  if (!cursor.startsWith(PREFIX)) throw invalid("not a cursor this API issued");
  let json: unknown;
  try {
    json = JSON.parse(fromBase64Url(cursor.slice(PREFIX.length)));
  } catch {
    throw invalid("not a cursor this API issued");
  }
  const parsed = CursorSchema.safeParse(json);
  if (!parsed.success) throw invalid("not a cursor this API issued");
  const { s, a, b } = parsed.data;
  if (s !== state) throw invalid(`issued for state "${s}", not "${state}"`);
  const valid =
    state === "waiting" ? ((COUNT.test(a) || PRIO.test(a)) && b !== "") || (GROUP.test(a) && COUNT.test(b)) : state === "active" ? a !== "" && COUNT.test(b) : SCORE.test(a) && b !== "";
  if (!valid) throw invalid("not a cursor this API issued");
  return { a, b };
}
