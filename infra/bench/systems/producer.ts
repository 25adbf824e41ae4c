/** What the benchmark needs from each system's producer side. */
import type { BenchPayload, SystemName } from "../bench-job";

export interface Producer {
  readonly system: SystemName;
  /** One job, awaited: the call the edge (or an API server) makes per request. */
  enqueueOne(data: BenchPayload): Promise<void>;
  /** Many jobs in the system's batch call. */
  enqueueBatch(data: readonly BenchPayload[]): Promise<void>;
  /** Counts as the system's own records say (used to check that every job really completed). */
  counts(): Promise<{ waiting: number; completed: number }>;
  close(): Promise<void>;
}
