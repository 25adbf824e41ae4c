/**
 * `defineEvent` declares an event once, for both sides: the edge validates a published event with `schema`, and
 * a worker expands it into one job per `fanOut` entry, keyed by the target job's name. Each mapping function is
 * typed against its target's payload, so a fan-out that builds an invalid payload is a type error; the built
 * payload is checked against the target's schema again at run time (an invalid one dead-letters the event's job
 * with a reason naming the target and the paths, after the valid targets were created).
 *
 * Events live one file each in `events/`, in one registry `EVENTS` with the same rule as `JOBS`: the key is the
 * event's name (`defineEventRegistry` at compile time, `assertEventRegistry` at start).
 */
import type { z } from "zod";
import { ConfigError } from "./env/index";
import { QUEUE_NAME } from "./ids";
import type { EVENT_JOB_NAME } from "./jobs/event";
import type { JOBS, JobName, Registry } from "./jobs/index";

/** A job an event may fan out to: any registered job except the internal `event` job itself. */
export type TargetName = Exclude<JobName, typeof EVENT_JOB_NAME>;
/**
 * What a mapping function builds: the target schema's input (defaults may be left out; the worker parses it
 * with the target's schema, as the edge would have).
 */
export type TargetInputOf<N extends TargetName> = z.input<(typeof JOBS)[N]["schema"]>;
export type FanOut<E> = { [N in TargetName]?: (event: E) => TargetInputOf<N> };

export interface EventDefinitionInput<N extends string, S extends z.ZodType, F extends FanOut<z.output<S>>> {
  /** Lower-case letters, digits and dashes (the job name rule). */
  name: N;
  /** Validates the published body at the edge and again before expansion. */
  schema: S;
  description?: string;
  /** One entry per target job: its name → the payload built from the validated event. At least one. */
  fanOut: F & FanOut<z.output<S>>;
}

/**
 * One mapping function as the registry holds it. Declared as a method so that a definition for a precise
 * schema is still an `EventDefinition` (method parameters are bivariant): the precise check is `defineEvent`'s.
 */
export type FanOutFunction<E> = { map(event: E): unknown }["map"];

export interface EventDefinition<N extends string = string, S extends z.ZodType = z.ZodType> {
  name: N;
  schema: S;
  description: string;
  /** Target job name → mapping function; the order of the keys is the order targets are enqueued in. */
  fanOut: Readonly<Record<string, FanOutFunction<z.output<S>>>>;
}

/**
 * @example
 * export const orderPaid = defineEvent({
 *   name: "order-paid",
 *   schema: z.object({ orderId: z.string(), total: z.number() }),
 *   fanOut: { noop: (order) => ({ orderId: order.orderId }) },
 * });
 */
export function defineEvent<const N extends string, S extends z.ZodType, F extends FanOut<z.output<S>>>(
  input: EventDefinitionInput<N, S, F>,
): EventDefinition<N, S> {
  if (!QUEUE_NAME.test(input.name)) throw new Error(`Invalid event name "${input.name}": use [a-z][a-z0-9-]*`);
  const fanOut = input.fanOut as unknown as Record<string, FanOutFunction<z.output<S>>>;
  if (Object.keys(fanOut).length === 0) throw new Error(`Event "${input.name}": fanOut needs at least one target`);
  return { name: input.name, schema: input.schema, description: input.description ?? "", fanOut };
}

export type EventRegistry = Readonly<Record<string, EventDefinition>>;
export type EventKeyedByName<R> = { [K in keyof R]: R[K] extends EventDefinition<string, infer S> ? EventDefinition<K & string, S> : never };

/**
 * Declares the event registry; a key that is not its event's name is a type error (as in `defineRegistry`).
 * @example
 * export const EVENTS = defineEventRegistry({ "order-paid": orderPaidEvent });
 */
export function defineEventRegistry<const R extends EventRegistry>(events: R & EventKeyedByName<R>): R {
  for (const [key, definition] of Object.entries(events)) assertKey(key, definition);
  return events;
}

function assertKey(key: string, definition: EventDefinition | undefined): void {
  if (definition?.name !== key) {
    throw new ConfigError(
      `invalid event registry: key ${JSON.stringify(key)} holds the event named ${JSON.stringify(definition?.name)}; ` +
        `the key must be the event's name (write ${JSON.stringify(definition?.name)}: <definition>)`,
    );
  }
}

/**
 * Throws a one-line ConfigError when a key is not its event's name, or a target is not a public job of `jobs`
 * (called by the edge's `createApp` and the worker at start: an event no worker can expand must not deploy).
 * @example
 * assertEventRegistry(EVENTS, JOBS);
 */
export function assertEventRegistry(events: EventRegistry, jobs: Registry): void {
  for (const [key, definition] of Object.entries(events)) {
    assertKey(key, definition);
    for (const target of Object.keys(definition.fanOut)) {
      const job = Object.hasOwn(jobs, target) ? jobs[target] : undefined;
      if (!job || job.internal) {
        throw new ConfigError(`invalid event registry: event ${JSON.stringify(key)} fans out to ${JSON.stringify(target)}, which is not a job in the registry`);
      }
    }
  }
}

/**
 * @example
 * findEvent(EVENTS, "order-paid") // undefined for unknown names
 */
export function findEvent(events: EventRegistry, name: string): EventDefinition | undefined {
  return Object.hasOwn(events, name) ? events[name] : undefined;
}
