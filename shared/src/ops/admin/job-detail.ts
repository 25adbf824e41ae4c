/**
 * A job as operators see it (JobDetail): the public status plus the payload, the option overrides and the
 * errors of the last few failed attempts. Shared by getJobDetail and listJobs. Stripping stacks for producer
 * keys is the edge's job; this returns what is stored.
 */
import { z } from "zod";
import { jobId } from "../../ids";
import type { QueueKeys } from "../../keys";
import { FIELD, pairsToObject, recordToStatus, StoredErrorSchema } from "../../record";
import type { ScriptRunner } from "../../script-runner";
import { statusCall } from "../read";
import type { JobDetail } from "./types";

// Looser than record.ts's AttemptErrorSchema on purpose: one unreadable entry drops that entry, not the list.
const AttemptErrorSchema = StoredErrorSchema.extend({
  attempt: z.number().int().optional(),
  // Stored as ms since epoch; an ISO string is accepted too.
  at: z.union([z.number(), z.string()]).optional(),
});

const UNREADABLE = Symbol("unreadable");

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return UNREADABLE;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return UNREADABLE;
  }
}

function errorsOf(record: Record<string, string>, last: JobDetail["error"]): JobDetail["errors"] {
  const history = parseJson(record[FIELD.errors]);
  // Records written before the history existed (or with an unreadable one) still show their last error.
  if (!Array.isArray(history)) return last ? [last] : [];
  const errors: JobDetail["errors"] = [];
  for (const item of history) {
    const parsed = AttemptErrorSchema.safeParse(item);
    if (!parsed.success) continue;
    const { at, ...rest } = parsed.data;
    const iso = typeof at === "number" ? new Date(at).toISOString() : at;
    errors.push(iso === undefined ? rest : { ...rest, at: iso });
  }
  return errors;
}

/** Record hash → JobDetail. `data` is the parsed payload (the raw text if it is not JSON, null when absent). */
export function recordToJobDetail(id: string, record: Record<string, string>, listPriority?: number): JobDetail {
  const status = recordToStatus(id, record, listPriority);
  const raw = record[FIELD.data];
  const parsed = parseJson(raw);
  const data = raw === undefined ? null : parsed === UNREADABLE ? raw : parsed;
  const options = parseJson(record[FIELD.options]);
  return {
    ...status,
    data,
    options: options !== null && typeof options === "object" && !Array.isArray(options) ? (options as Record<string, unknown>) : {},
    errors: errorsOf(record, status.error),
  };
}

/**
 * undefined when unknown or expired. `listPriority`: the job definition's default priority (priority.ts).
 * @example
 * const detail = await getJobDetail(runner, queueKeys("webhook"), "mfz3k2x9q1a8b7c6");
 */
export async function getJobDetail(
  runner: ScriptRunner,
  keys: QueueKeys,
  localId: string,
  listPriority?: number,
): Promise<JobDetail | undefined> {
  const flat = (await runner.run(statusCall(keys, localId))) as unknown[];
  return flat.length === 0 ? undefined : recordToJobDetail(jobId(keys.queue, localId), pairsToObject(flat), listPriority);
}
