/**
 * `offload jobs <queue> [--state dead] [--limit N] [--cursor C]`: one page of a queue's jobs in one state
 * (listJobs: finished states newest first, waiting and delayed in run order). The cursor of the next page is
 * printed under the table as the command to run, and is `nextCursor` in `--json`.
 */
import { z } from "zod";
import { listJobs, type JobDetail } from "../../../shared/src/ops/admin";
import { JOB_STATES, type JobState } from "../../../shared/src/record";
import { expectPositionals, knownQueue, stringOption, type Command } from "../command";
import { EXIT, usageError } from "../exit-codes";
import { renderTable } from "../table";

export const JOBS_LIMIT_MAX = 500;
const LimitSchema = z.coerce.number().int().min(1).max(JOBS_LIMIT_MAX);

/** The time that matters for a job in each state: when it finished, when it will run, when it started. */
function timeOf(job: JobDetail): string | null {
  if (job.state === "delayed" || job.state === "waiting") return job.runAt ?? job.createdAt;
  if (job.state === "active") return job.startedAt;
  return job.finishedAt;
}

export const jobsCommand: Command = {
  name: "jobs",
  summary: "list a queue's jobs in one state (default: dead), a page at a time",
  usage:
    `jobs <queue> [--state <state>] [--limit N] [--cursor C]\n\n` +
    `--state: ${JOB_STATES.join(", ")} (default dead). --limit: 1 to ${JOBS_LIMIT_MAX} (default 20). ` +
    "--cursor: from the previous page's last line.",
  options: { state: { type: "string", default: "dead" }, limit: { type: "string", default: "20" }, cursor: { type: "string" } },
  prepare(positionals, values) {
    const queue = knownQueue(positionals[0], "jobs");
    expectPositionals(positionals, 1, "jobs");
    const state = stringOption(values, "state") as JobState;
    if (!JOB_STATES.includes(state)) throw usageError(`jobs: --state: expected one of ${JOB_STATES.join(", ")}, got "${state}"`);
    const limitText = stringOption(values, "limit")!;
    const limit = LimitSchema.safeParse(limitText);
    if (!limit.success || !/^\d+$/.test(limitText)) throw usageError(`jobs: --limit: expected a whole number from 1 to ${JOBS_LIMIT_MAX}, got "${limitText}"`);
    const cursor = stringOption(values, "cursor");

    return async ({ runner, keys }) => {
      const page = await listJobs(runner, keys(queue), { state, limit: limit.data, ...(cursor ? { cursor } : {}) });
      const rows = page.jobs.map((job) => [job.id, job.state, `${job.attempt}/${job.maxAttempts}`, timeOf(job), job.error?.message ?? null]);
      const lines = [
        page.jobs.length === 0 ? `no ${state} jobs in ${queue}` : renderTable(["ID", "STATE", "ATTEMPT", "AT", "ERROR"], rows),
      ];
      if (page.nextCursor) lines.push(`more: offload jobs ${queue} --state ${state} --limit ${limit.data} --cursor ${page.nextCursor}`);
      return { exitCode: EXIT.ok, json: page, text: lines.join("\n") };
    };
  },
};
