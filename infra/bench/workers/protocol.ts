/**
 * What a benchmark worker process and the benchmark say to each other over the IPC channel. Timestamps are
 * wall-clock milliseconds with sub-millisecond precision (`performance.timeOrigin + performance.now()`), so a
 * time taken in the parent and one taken in the child can be subtracted.
 */
import type { SystemName } from "../bench-job";

export interface WorkerSpec {
  system: SystemName;
  redisUrl: string;
  concurrency: number;
  /** Completions after which the child reports `done` (0: never, e.g. an idle worker). */
  expected: number;
  /** Send a `call` message from inside every handler call (latency); otherwise only the first. */
  reportEachCall: boolean;
}

export type ChildMessage =
  | { type: "ready" }
  | { type: "first"; at: number }
  | { type: "call"; at: number; userId: number }
  | { type: "done"; at: number; completed: number }
  | { type: "cpu"; userMs: number; systemMs: number };

export type ParentMessage = { type: "cpu" } | { type: "stop" };

export const SPEC_ENV = "OFFLOAD_BENCH_WORKER";
/** When set, the worker writes a sampling allocation profile (.heapprofile) to this path when told to stop. */
export const ALLOC_PROFILE_ENV = "OFFLOAD_BENCH_ALLOC_PROFILE";

export const clock = () => performance.timeOrigin + performance.now();
