/**
 * The job record: one Redis hash per job holding the envelope and the status. Field names are one letter
 * because a hash of small fields stays in Redis's compact listpack encoding and every byte counts ×N jobs.
 * This table is the only place that knows them; the Lua scripts use the same letters (see shared/PROTOCOL.md).
 */
import { z } from "zod";
import { DEFAULT_PRIORITY, priorityOf } from "./priority";

export const FIELD = {
  version: "v",
  name: "n", // only when it differs from the queue name
  data: "d",
  state: "s",
  attempt: "a",
  maxAttempts: "m",
  options: "o",
  createdAt: "c",
  runAt: "r",
  startedAt: "t",
  finishedAt: "f",
  progress: "p",
  result: "x",
  error: "e",
  stalls: "k",
  /** Errors history: JSON array of the last ERRORS_KEPT failed attempts' errors, oldest first (AttemptError). */
  errors: "h",
  /** Priority 1-10, only when it is not the queue's list priority (priority.ts): absent = that default. */
  priority: "P",
  /**
   * Throttled runs so far (count_throttle.lua): a throttled run spends no attempt, so this is what bounds them
   * (FREE_THROTTLES in worker/src/outcome.ts). Absent = none; cleared when an operator retries or replays the job.
   */
  throttles: "T",
  /** Group key (PROTOCOL.md "Groups"), only for a job of a group: it waits in {q}:gw:<group>, not the ready list. */
  group: "g",
} as const;

/** How many failed attempts' errors a record keeps in its errors history (`h`); `e` is always the last one. */
export const ERRORS_KEPT = 5;

export const JOB_STATES = ["waiting", "delayed", "active", "completed", "dead", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Last error of a job as stored: message and a truncated stack, plus the reason for a dead-letter. */
export const StoredErrorSchema = z.object({
  message: z.string(),
  stack: z.string().optional(),
  reason: z.string().optional(),
  /** For poison entries: the raw wait-list entry or record excerpt that could not be read. */
  raw: z.string().optional(),
});
export type StoredError = z.infer<typeof StoredErrorSchema>;

/** One entry of the errors history: the error of a failed attempt, which attempt it was and when (ms). */
export const AttemptErrorSchema = z.object({
  message: z.string(),
  stack: z.string().optional(),
  reason: z.string().optional(),
  attempt: z.number(),
  at: z.number(),
});
export type AttemptError = z.infer<typeof AttemptErrorSchema>;

/** The record's errors history, oldest first; [] when absent or unreadable (records older than the field). */
export function errorsHistory(record: Record<string, string>): AttemptError[] {
  const parsed = z.array(AttemptErrorSchema).safeParse(parseJson(record[FIELD.errors]));
  return parsed.success ? parsed.data : [];
}

/** What `GET /v1/jobs/{id}` returns. */
export interface JobStatus {
  id: string;
  name: string;
  state: JobState;
  attempt: number;
  maxAttempts: number;
  createdAt: string | null;
  runAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  progress: number | null;
  result: unknown;
  error: StoredError | null;
  stalls: number;
  /** 1 runs first … 10 runs last. */
  priority: number;
}

/** Pairs a flat RESP2 `HGETALL` reply (`[field, value, field, value…]`) into an object. */
export function pairsToObject(flat: readonly unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

const iso = (ms: string | undefined) => (ms === undefined || ms === "" ? null : new Date(Number(ms)).toISOString());
const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Record hash → public status. Tolerates partial records (poison entries have only state and error). */
/** `listPriority`: the priority of a record without a `P` field (its queue's default, priority.ts). */
export function recordToStatus(id: string, record: Record<string, string>, listPriority: number = DEFAULT_PRIORITY): JobStatus {
  const state = (JOB_STATES as readonly string[]).includes(record[FIELD.state] ?? "")
    ? (record[FIELD.state] as JobState)
    : "dead";
  const error = StoredErrorSchema.safeParse(parseJson(record[FIELD.error]));
  return {
    id,
    // Absent when it is the queue's own name (the part of the id before the dot).
    name: record[FIELD.name] ?? id.slice(0, id.lastIndexOf(".")),
    state,
    attempt: num(record[FIELD.attempt], 0),
    maxAttempts: num(record[FIELD.maxAttempts], 0),
    createdAt: iso(record[FIELD.createdAt]),
    runAt: iso(record[FIELD.runAt]),
    startedAt: iso(record[FIELD.startedAt]),
    finishedAt: iso(record[FIELD.finishedAt]),
    progress: record[FIELD.progress] === undefined ? null : Number(record[FIELD.progress]),
    result: parseJson(record[FIELD.result]),
    error: error.success ? error.data : null,
    stalls: num(record[FIELD.stalls], 0),
    priority: priorityOf(record[FIELD.priority], listPriority),
  };
}
