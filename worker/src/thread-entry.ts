/**
 * Entry of the worker-thread bundle (dist/worker/thread.js): runs thread-pool handlers by job name. Thread
 * handlers get the payload and ids only; AbortSignal, progress and logger stay on the main thread.
 */
import { THREAD_HANDLERS } from "./handlers/thread-handlers";

export interface ThreadTask {
  name: string;
  data: unknown;
  jobId: string;
  attempt: number;
}

export default async function runThreadTask(task: ThreadTask): Promise<unknown> {
  const handler = THREAD_HANDLERS[task.name];
  if (!handler) throw new Error(`no thread handler for job "${task.name}"`);
  return handler(task.data as never, { jobId: task.jobId, attempt: task.attempt });
}
