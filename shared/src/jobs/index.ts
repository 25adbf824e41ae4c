/**
 * The registry: every job type Offload knows, in one object. `JobName` and `PayloadOf<N>` are derived from it,
 * so the payload the edge accepts and the payload a handler receives cannot drift apart.
 *
 * Each key must be its job's name: the worker serves the queue named by the key and the edge enqueues into
 * the queue named by `name`, so the shorthand `{ sendReceipt }` for a job named `send-receipt` used to be
 * accepted, answered 202 and never run. `defineRegistry` makes that a type error, and `assertRegistry` (called
 * by the edge's `createApp` and the worker at start) a start-up error for registries built some other way.
 */
import type { z } from "zod";
import { ConfigError } from "../env/index";
import type { JobDefinition } from "../job-definition";
import { callbackJob } from "./callback";
import { digestJob } from "./digest";
import { eventJob } from "./event";
import { noopJob } from "./noop";
import { webhookJob } from "./webhook";

export type Registry = Readonly<Record<string, JobDefinition>>;

/** Each entry as it must be: a definition whose `name` is exactly its key. */
export type KeyedByName<R> = { [K in keyof R]: R[K] extends JobDefinition<string, infer S> ? JobDefinition<K & string, S> : never };

/**
 * Declares a registry whose keys are checked against each job's name at compile time.
 * @example
 * export const JOBS = defineRegistry({ "send-receipt": sendReceiptJob }); // ok
 * defineRegistry({ sendReceipt: sendReceiptJob }); // type error: "send-receipt" is not assignable to "sendReceipt"
 */
export function defineRegistry<const R extends Registry>(jobs: R & KeyedByName<R>): R {
  assertRegistry(jobs);
  return jobs;
}

/**
 * Throws a one-line ConfigError when a key is not its job's name.
 * @example
 * assertRegistry({ sendReceipt: sendReceiptJob });
 * // ConfigError: invalid registry: key "sendReceipt" holds the job named "send-receipt"; write "send-receipt": sendReceiptJob
 */
export function assertRegistry(registry: Registry): void {
  for (const [key, definition] of Object.entries(registry)) {
    if (definition?.name !== key) {
      throw new ConfigError(
        `invalid registry: key ${JSON.stringify(key)} holds the job named ${JSON.stringify(definition?.name)}; ` +
          `the key must be the job's name (write ${JSON.stringify(definition?.name)}: <definition>)`,
      );
    }
  }
}

export const JOBS = defineRegistry({
  webhook: webhookJob,
  noop: noopJob,
  digest: digestJob,
  // Built in: a published event, expanded into its targets by a worker (see jobs/event.ts).
  event: eventJob,
  // Built in: a completion callback on its way to the receiver (see jobs/callback.ts).
  callback: callbackJob,
});

export type JobName = keyof typeof JOBS;
export type PayloadOf<N extends JobName> = z.output<(typeof JOBS)[N]["schema"]>;

/**
 * @example
 * const definition = findJob(JOBS, "webhook"); // undefined for unknown names
 */
export function findJob(registry: Registry, name: string): JobDefinition | undefined {
  return Object.hasOwn(registry, name) ? registry[name] : undefined;
}
