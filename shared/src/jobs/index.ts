/**
 * The registry: every job type Offload knows, in one object. `JobName` and `PayloadOf<N>` are derived from it,
 * so the payload the edge accepts and the payload a handler receives cannot drift apart.
 */
import type { z } from "zod";
import type { JobDefinition } from "../job-definition";
import { digestJob } from "./digest";
import { noopJob } from "./noop";
import { webhookJob } from "./webhook";

export const JOBS = {
  webhook: webhookJob,
  noop: noopJob,
  digest: digestJob,
} as const;

export type Registry = Readonly<Record<string, JobDefinition>>;
export type JobName = keyof typeof JOBS;
export type PayloadOf<N extends JobName> = z.output<(typeof JOBS)[N]["schema"]>;

/**
 * @example
 * const definition = findJob(JOBS, "webhook"); // undefined for unknown names
 */
export function findJob(registry: Registry, name: string): JobDefinition | undefined {
  return Object.hasOwn(registry, name) ? registry[name] : undefined;
}
