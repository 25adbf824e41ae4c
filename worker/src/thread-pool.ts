/**
 * Jobs whose definition says `runIn: "thread"` run in a piscina pool, so CPU-heavy work cannot freeze the
 * event loop that sends heartbeats and settles other jobs. Aborting a run (timeout, shutdown) terminates its
 * thread; piscina starts a fresh one.
 */
import { Piscina } from "piscina";
import type { AnyHandler } from "./run";
import type { JobContext } from "./handler";
import { rebuildJobError } from "./job-errors";
import type { ThreadReply, ThreadTask } from "./thread-entry";

export interface ThreadPool {
  /** A handler that forwards to the thread pool under this job name. */
  handlerFor(name: string): AnyHandler;
  close(): Promise<void>;
}

/**
 * @example
 * const pool = createThreadPool(new URL("./thread.js", import.meta.url), 2);
 */
export function createThreadPool(filename: URL | string, threads: number): ThreadPool {
  const pool = new Piscina({
    filename: filename instanceof URL ? filename.href : filename,
    minThreads: 1,
    maxThreads: threads,
    // One task per thread: a CPU job owns its core; queueing happens in Redis, not here.
    concurrentTasksPerWorker: 1,
  });
  return {
    handlerFor(name) {
      return (data: unknown, ctx: JobContext) => {
        const task: ThreadTask = { name, data, jobId: ctx.jobId, attempt: ctx.attempt };
        // The task answers a ThreadReply rather than throwing (thread-entry.ts): rethrow its failure as the same
        // class here, so a RateLimitedError from a thread is back-pressure like one from the main thread.
        return (pool.run(task, { signal: ctx.signal }) as Promise<ThreadReply>).then((reply) => {
          if (reply.ok) return reply.value;
          throw rebuildJobError(reply.failure);
        });
      };
    },
    close: () => pool.close({ force: true }),
  };
}
