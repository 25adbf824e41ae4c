/**
 * The built-in `event` handler: expands one published event into its fan-out targets. Each target is enqueued
 * with the local id derived from the event's local id and the target's name (the ids the edge already returned
 * in its 202), one enqueue per target: the targets are different job types, so under Redis Cluster they live in
 * different slots and cannot be created by one script. A run that dies halfway is retried (stall or error) and
 * enqueues every target again; the enqueue script's "existing id" path makes the ones already created no-ops,
 * so each target is created exactly once.
 *
 * A mapping function that throws, or builds a payload its target's schema rejects, cannot succeed on retry: the
 * other targets are still created, then the event's job is dead-lettered with a reason naming each bad target
 * and the zod paths. It never crashes the worker.
 */
import {
  enqueue,
  findEvent,
  findJob,
  jobId,
  parseJobId,
  prepareJob,
  queueKeys,
  targetLocalId,
  type EventRegistry,
  type Registry,
  type ScriptRunner,
} from "../../../shared/src/index";
import type { Handler } from "../handler";
import { UnrecoverableError } from "../job-errors";

export interface EventHandlerOptions {
  runner: ScriptRunner;
  /** REDIS_PREFIX of the queues the targets go into. */
  prefix?: string;
  jobs: Registry;
  events: EventRegistry;
  /**
   * Called after each target's enqueue was answered, in fan-out order. Tests use it to stop a worker at an
   * exact point of an expansion (no sleeps); production passes nothing.
   */
  afterTarget?: (target: string, id: string) => Promise<void> | void;
}

export interface Expanded {
  event: string;
  /** Every target, created now or earlier (a retried expansion). */
  jobs: { name: string; id: string; outcome: "created" | "existing" }[];
}

const describeIssues = (issues: readonly { path: PropertyKey[]; message: string }[]) =>
  issues.map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`).join(", ");

/**
 * @example
 * handlers.event = createEventHandler({ runner: ioredisRunner(redis), prefix, jobs: JOBS, events: EVENTS });
 */
export function createEventHandler(options: EventHandlerOptions): Handler<"event"> {
  const { runner, prefix, jobs, events } = options;
  return async ({ event: name, data }, ctx): Promise<Expanded> => {
    const definition = findEvent(events, name);
    if (!definition) throw new UnrecoverableError(`unknown event "${name}" (not in this worker's event registry)`);
    const parsed = definition.schema.safeParse(data);
    if (!parsed.success) throw new UnrecoverableError(`event "${name}" is invalid: ${describeIssues(parsed.error.issues)}`);
    const eventLocalId = parseJobId(ctx.jobId)?.localId;
    if (!eventLocalId) throw new UnrecoverableError(`event job id "${ctx.jobId}" has no local id`);

    const created: Expanded["jobs"] = [];
    const failures: string[] = [];
    for (const [target, build] of Object.entries(definition.fanOut)) {
      const job = findJob(jobs, target);
      if (!job) {
        failures.push(`${target}: no such job in this worker's registry`);
        continue;
      }
      let payload: unknown;
      try {
        payload = build(parsed.data);
      } catch (error) {
        failures.push(`${target}: the fan-out function threw: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      const checked = job.schema.safeParse(payload);
      if (!checked.success) {
        failures.push(`${target}: built payload is invalid: ${describeIssues(checked.error.issues)}`);
        continue;
      }
      const prepared = await prepareJob(job, checked.data);
      prepared.localId = await targetLocalId(eventLocalId, target);
      const [result] = await enqueue(runner, queueKeys(target, prefix), [prepared]);
      if (!result) throw new Error(`enqueue of ${target} returned no result`);
      const outcome = result.outcome === "created" ? "created" : "existing";
      created.push({ name: target, id: jobId(target, prepared.localId), outcome });
      await options.afterTarget?.(target, jobId(target, prepared.localId));
    }
    if (failures.length > 0) {
      throw new UnrecoverableError(`event "${name}": ${failures.length} target(s) not created: ${failures.join("; ")}`);
    }
    return { event: name, jobs: created };
  };
}
