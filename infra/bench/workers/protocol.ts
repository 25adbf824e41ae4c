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
  /** cpuMs: the process's CPU time (user + system) when the first handler call began. */
  | { type: "first"; at: number; cpuMs: number }
  | { type: "call"; at: number; userId: number }
  /** cpuMs: the process's CPU time when the expected completions had landed; minus first.cpuMs = the run's CPU. */
  | { type: "done"; at: number; completed: number; cpuMs: number }
  | { type: "cpu"; userMs: number; systemMs: number };

export type ParentMessage = { type: "cpu" } | { type: "stop" };

export const SPEC_ENV = "OFFLOAD_BENCH_WORKER";
/** When set, the worker writes a sampling allocation profile (.heapprofile) to this path when told to stop. */
export const ALLOC_PROFILE_ENV = "OFFLOAD_BENCH_ALLOC_PROFILE";

export const clock = () => performance.timeOrigin + performance.now();

/** This process's CPU time so far, user + system, in ms (all threads). */
export function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
}
