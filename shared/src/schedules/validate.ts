/**
 * Checks the schedules a registry's job definitions declare (shape, cron, time zone, and data against the job's
 * own schema) and turns them into stored specs. A worker calls it at start: a bad schedule is invalid
 * configuration and stops the process with one line naming the job, the schedule and the path.
 */
import { ConfigError } from "../env/index";
import type { JobDefinition } from "../job-definition";
import { CodeScheduleSchema, toSpec, type ScheduleSpec } from "./spec";

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  return `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`;
}

/**
 * @example
 * codeSchedules(reportJob) // [{ id: "nightly", spec: { job: "report", cron: "0 0 2 * * *", … } }]
 */
export function codeSchedules(definition: JobDefinition): { id: string; spec: ScheduleSpec }[] {
  const seen = new Set<string>();
  return definition.schedules.map((schedule, index) => {
    const where = `job "${definition.name}" schedules[${index}]`;
    const parsed = CodeScheduleSchema.safeParse(schedule);
    if (!parsed.success) throw new ConfigError(`invalid schedule: ${where}: ${describeIssue(parsed.error.issues[0]!)}`);
    const { id } = parsed.data;
    if (seen.has(id)) throw new ConfigError(`invalid schedule: ${where}: id "${id}" is used twice`);
    seen.add(id);
    const data = definition.schema.safeParse(parsed.data.data);
    if (!data.success) {
      throw new ConfigError(`invalid schedule: ${where} ("${id}"): data.${describeIssue(data.error.issues[0]!)}`);
    }
    return { id, spec: toSpec(definition.name, { ...parsed.data, data: parsed.data.data }, "code") };
  });
}

/** Validates every definition's schedules (the worker's start-up check). */
export function assertSchedules(registry: Readonly<Record<string, JobDefinition>>): void {
  for (const definition of Object.values(registry)) codeSchedules(definition);
}
