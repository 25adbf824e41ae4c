/**
 * `offload enqueue <name> '<json>' [--delay 5s] [--priority 1]`: the edge's enqueue without HTTP. The payload is checked against
 * the job's schema from the shared registry (the same one the edge and the worker use), so a bad payload is exit
 * 2 with zod's issue paths, and nothing is written. What is stored is the parsed payload (defaults applied),
 * exactly as the edge stores it.
 *
 * Not checked here: the edge's webhook destination policy (loopback / private networks). The CLI is an operator
 * tool run next to Redis; the worker checks every destination again when it connects.
 */
import { issuesFrom } from "../../../shared/src/errors";
import { findJob, JOBS } from "../../../shared/src/jobs/index";
import { parseDuration } from "../../../shared/src/duration";
import { isPriority, PRIORITY_MAX, PRIORITY_MIN } from "../../../shared/src/priority";
import { enqueue, prepareJob } from "../../../shared/src/ops/enqueue";
import { expectPositionals, stringOption, type Command } from "../command";
import { CliError, EXIT, usageError } from "../exit-codes";

export const enqueueCommand: Command = {
  name: "enqueue",
  summary: "enqueue a job, its payload checked against the job's schema",
  usage:
    "enqueue <name> '<json>' [--delay <duration>] [--priority <1-10>]\n\n" +
    `<name> is a job type (${Object.keys(JOBS).join(", ")}); <json> its payload. --delay: 250ms, 30s, 5m, 2h, 1d.\n` +
    `--priority: ${PRIORITY_MIN} runs first … ${PRIORITY_MAX} runs last (default: the job type's).\n` +
    `Example: offload enqueue noop '{"hello":"world"}'`,
  options: { delay: { type: "string" }, priority: { type: "string" } },
  prepare(positionals, values) {
    const [name, json] = positionals;
    expectPositionals(positionals, 2, "enqueue");
    if (name === undefined) throw usageError(`enqueue: missing <name> (one of: ${Object.keys(JOBS).join(", ")})`);
    const definition = findJob(JOBS, name);
    if (!definition) throw usageError(`enqueue: unknown job "${name}" (known: ${Object.keys(JOBS).join(", ")})`);
    if (json === undefined) throw usageError(`enqueue: missing '<json>' payload for "${name}"`);
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (error) {
      throw new CliError(EXIT.usage, `enqueue: invalid JSON: ${(error as Error).message}`, "malformed_json");
    }
    const parsed = definition.schema.safeParse(raw);
    if (!parsed.success) {
      throw new CliError(EXIT.usage, `enqueue: payload does not match the "${name}" schema`, "validation_failed", issuesFrom(parsed.error.issues));
    }
    const delayText = stringOption(values, "delay");
    const delayMs = delayText === undefined ? undefined : parseDuration(delayText);
    if (delayText !== undefined && delayMs === undefined) throw usageError(`enqueue: --delay: expected a duration like 30s or 5m, got "${delayText}"`);

    const priorityText = stringOption(values, "priority");
    const priority = priorityText === undefined ? undefined : Number(priorityText);
    if (priorityText !== undefined && (!/^\d+$/.test(priorityText) || !isPriority(priority))) {
      throw usageError(`enqueue: --priority: expected a whole number from ${PRIORITY_MIN} to ${PRIORITY_MAX}, got "${priorityText}"`);
    }

    return async ({ runner, keys }) => {
      const job = await prepareJob(definition, parsed.data, { delayMs, priority });
      const [result] = await enqueue(runner, keys(definition.name), [job]);
      if (!result) throw new Error("enqueue script returned no result");
      return { exitCode: EXIT.ok, json: result, text: `enqueued ${result.id} (${result.state})` };
    };
  },
};
