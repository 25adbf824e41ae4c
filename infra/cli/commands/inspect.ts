/**
 * `offload inspect <id>`: everything operators see about one job — status, payload, per-job options, result, and
 * the errors of its recent attempts with their stacks (getJobDetail). Exit 1 when the job is unknown or its
 * record has expired.
 */
import { parseJobId } from "../../../shared/src/ids";
import { getJobDetail, type JobDetail } from "../../../shared/src/ops/admin";
import { expectPositionals, knownQueue, type Command } from "../command";
import { CliError, EXIT, usageError } from "../exit-codes";

const json = (value: unknown) => JSON.stringify(value, null, 2);
const indent = (text: string, by: string) => text.split("\n").join(`\n${by}`);

export function renderJob(job: JobDetail): string {
  const pad = "            ";
  const field = (label: string, value: string | number | null | undefined) =>
    `${label.padEnd(pad.length)}${value === null || value === undefined || value === "" ? "-" : indent(String(value), pad)}`;
  const lines = [
    field("id", job.id),
    field("name", job.name),
    field("state", job.state),
    field("attempt", `${job.attempt} of ${job.maxAttempts}`),
    field("stalls", job.stalls),
    field("created", job.createdAt),
    field("run at", job.runAt),
    field("started", job.startedAt),
    field("finished", job.finishedAt),
    field("progress", job.progress === null ? null : `${job.progress}%`),
    field("options", Object.keys(job.options).length > 0 ? JSON.stringify(job.options) : null),
    field("data", json(job.data)),
    field("result", job.result === undefined || job.result === null ? null : json(job.result)),
    field("error", job.error ? [job.error.reason ? `[${job.error.reason}] ` : "", job.error.message, job.error.stack ? `\n${job.error.stack}` : ""].join("") : null),
  ];
  if (job.errors.length > 0) {
    lines.push("errors");
    for (const error of job.errors) {
      const where = [error.attempt === undefined ? "" : `attempt ${error.attempt}`, error.at ?? ""].filter(Boolean).join(" at ");
      lines.push(`  ${where ? `${where}: ` : ""}${error.message}`);
    }
  }
  return lines.join("\n");
}

export const inspectCommand: Command = {
  name: "inspect",
  summary: "show one job: status, payload, options, result, errors",
  usage: "inspect <id>\n\n<id> is a job id as the API returns it, e.g. webhook.mfz3k2x9q1a8b7c6.",
  options: {},
  prepare(positionals) {
    const id = positionals[0];
    expectPositionals(positionals, 1, "inspect");
    if (id === undefined) throw usageError("inspect: missing <id> (e.g. webhook.mfz3k2x9q1a8b7c6)");
    const parsed = parseJobId(id);
    if (!parsed) throw usageError(`inspect: "${id}" is not a job id (expected <queue>.<16 characters>, e.g. webhook.mfz3k2x9q1a8b7c6)`);
    const queue = knownQueue(parsed.queue, "inspect");
    return async ({ runner, keys }) => {
      const job = await getJobDetail(runner, keys(queue), parsed.localId);
      if (!job) throw new CliError(EXIT.nothingDone, `no job ${id} (unknown, or its record has expired)`, "not_found");
      return { exitCode: EXIT.ok, json: job, text: renderJob(job) };
    };
  },
};
