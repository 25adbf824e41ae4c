/**
 * Entry of the worker-thread bundle (dist/worker/thread.js): runs thread-pool handlers by job name. Thread
 * handlers get the payload and ids only; AbortSignal, progress and logger stay on the main thread.
 *
 * A throw does not cross the thread boundary as itself: structured cloning keeps an Error's message and stack
 * but not its class or own fields, so a RateLimitedError would arrive as a plain Error — a failed attempt
 * instead of back-pressure, its retryAfterMs lost. A task therefore never throws: it answers a ThreadReply, and
 * a failure carries what the main thread needs to rebuild the same error (job-errors.ts).
 */
import { THREAD_HANDLERS, type ThreadHandler } from "./handlers/thread-handlers";
import { describeJobError, type ThreadFailure } from "./job-errors";

export interface ThreadTask {
  name: string;
  data: unknown;
  jobId: string;
  attempt: number;
}

export type ThreadReply = { ok: true; value: unknown } | { ok: false; failure: ThreadFailure };

/**
 * The task function for a set of thread handlers (the bundle's default export uses THREAD_HANDLERS; tests pass
 * their own).
 * @example
 * export default threadTaskRunner({ digest });
 */
export function threadTaskRunner(handlers: Readonly<Record<string, ThreadHandler>>) {
  return async function runThreadTask(task: ThreadTask): Promise<ThreadReply> {
    try {
      const handler = handlers[task.name];
      if (!handler) throw new Error(`no thread handler for job "${task.name}"`);
      return { ok: true, value: await handler(task.data as never, { jobId: task.jobId, attempt: task.attempt }) };
    } catch (error) {
      return { ok: false, failure: describeJobError(error) };
    }
  };
}

export default threadTaskRunner(THREAD_HANDLERS);
