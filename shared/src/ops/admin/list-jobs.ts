/**
 * listJobs: one page of a queue's jobs in one state (list_jobs.lua has the ordering and why each is O(page)).
 * Input is checked here, so every caller (edge, CLI) gets the same validation errors with the same paths.
 */
import { OffloadError } from "../../errors";
import { jobId } from "../../ids";
import type { QueueKeys } from "../../keys";
import { JOB_STATES, pairsToObject, type JobState } from "../../record";
import { DEFAULT_PRIORITY } from "../../priority";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../../script-runner";
import { decodeCursor, encodeCursor, type CursorParts } from "./cursor";
import { recordToJobDetail } from "./job-detail";
import { stateIndexKeys } from "./state-keys";
import type { JobDetail, JobPage } from "./types";

export const LIST_LIMIT_MAX = 500;
/**
 * A page ends early (with a cursor) once its records pass this many bytes of field values: 500 jobs of large
 * payloads would otherwise be one reply of hundreds of MB through a Worker. Costs an extra page for big jobs.
 */
export const LIST_PAGE_BYTES = 1_048_576;

export function listJobsCall(
  keys: QueueKeys,
  state: JobState,
  limit: number,
  after: CursorParts = { a: "", b: "" },
  maxBytes: number = LIST_PAGE_BYTES,
  listPriority: number = DEFAULT_PRIORITY,
): ScriptCall {
  return scriptCall("list_jobs", { ...stateIndexKeys(keys), fresh: keys.fresh }, [keys.jobPrefix, keys.activePrefix, state, limit, after.a, after.b, maxBytes, listPriority]);
}

export function parseListJobsReply(keys: QueueKeys, state: JobState, reply: unknown, listPriority?: number): JobPage {
  const [more, a, b, ...flat] = reply as unknown[];
  const jobs: JobDetail[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    jobs.push(recordToJobDetail(jobId(keys.queue, String(flat[i])), pairsToObject(flat[i + 1] as unknown[]), listPriority));
  }
  return { jobs, nextCursor: Number(more) === 1 ? encodeCursor(state, { a: String(a), b: String(b) }) : null };
}

function invalid(path: string, message: string): OffloadError {
  return new OffloadError("validation_failed", `Invalid ${path}: ${message}`, { issues: [{ path, message }] });
}

/**
 * Finished states newest first; waiting and delayed in run order; active by worker. Cost O(page).
 * Rejects with OffloadError("validation_failed") for an unknown state, a limit outside 1..500 or a cursor it
 * did not issue. A page may hold fewer than `limit` jobs (records that expired or changed state meanwhile are
 * skipped); only `nextCursor: null` means the end.
 * @example
 * const { jobs, nextCursor } = await listJobs(runner, keys, { state: "dead", limit: 50 });
 */
export async function listJobs(
  runner: ScriptRunner,
  keys: QueueKeys,
  query: { state: JobState; limit: number; cursor?: string; /** The job definition's default priority. */ listPriority?: number },
): Promise<JobPage> {
  const { state, limit, cursor, listPriority } = query;
  if (!(JOB_STATES as readonly string[]).includes(state)) throw invalid("state", `must be one of ${JOB_STATES.join(", ")}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) throw invalid("limit", `must be an integer from 1 to ${LIST_LIMIT_MAX}`);
  const after = cursor === undefined ? undefined : decodeCursor(state, cursor);
  return parseListJobsReply(keys, state, await runner.run(listJobsCall(keys, state, limit, after, LIST_PAGE_BYTES, listPriority)), listPriority);
}
