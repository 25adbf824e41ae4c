/** Handlers that run inside worker threads, by job name. Only jobs defined with `runIn: "thread"` belong here. */
import { digest } from "./digest";

export type ThreadHandler = (data: never, meta: { jobId: string; attempt: number }) => unknown;

export const THREAD_HANDLERS: Record<string, ThreadHandler> = {
  digest: digest as ThreadHandler,
};
