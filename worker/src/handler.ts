/**
 * What a handler is: `(data, ctx) => result`, typed from the shared registry so `data` is exactly the payload the
 * edge validated.
 */
import type { Logger } from "pino";
import type { JobName, PayloadOf } from "../../shared/src/jobs/index";

export interface JobContext {
  /** Public job id (`<queue>.<local>`), stable across retries: use it to de-duplicate side effects. */
  jobId: string;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
  /** Aborts on the job's timeout and on shutdown. Pass it to fetch() and anything else that can wait. */
  signal: AbortSignal;
  /** Records progress (0–100) on the job's status record. */
  progress(percent: number): Promise<void>;
  log: Logger;
}

export type Handler<N extends JobName> = (data: PayloadOf<N>, ctx: JobContext) => unknown;

/** A handler for every job in the registry: a missing one is a type error, not a runtime surprise. */
export type HandlerMap = { [N in JobName]: Handler<N> };
