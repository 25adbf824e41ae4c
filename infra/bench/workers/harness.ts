/**
 * The part every benchmark worker process shares: read the spec, start the system's worker, and report over
 * IPC: ready, the first handler call, every call (latency mode), the moment the expected number of
 * completions has landed in Redis, and CPU time on request. Exits when told to stop or when the parent goes.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { ALLOC_PROFILE_ENV, clock, processCpuMs, SPEC_ENV, type ChildMessage, type ParentMessage, type WorkerSpec } from "./protocol";
import type { BenchPayload } from "../bench-job";

export interface Hooks {
  /** Call first thing inside the handler. */
  called(data: BenchPayload): void;
  /** Call once per job whose completion Redis has acknowledged. */
  completed(count?: number): void;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

const send = (message: ChildMessage) => process.send?.(message);

export async function runBenchWorker(start: (spec: WorkerSpec, hooks: Hooks) => Promise<RunningWorker>): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_ENV] ?? "null") as WorkerSpec | null;
  if (!spec || !process.send) throw new Error(`run me from the benchmark: ${SPEC_ENV} and an IPC channel are required`);
  let calls = 0;
  let completed = 0;
  const hooks: Hooks = {
    called(data) {
      calls += 1;
      if (spec.reportEachCall) send({ type: "call", at: clock(), userId: data.userId });
      else if (calls === 1) send({ type: "first", at: clock(), cpuMs: processCpuMs() });
    },
    completed(count = 1) {
      completed += count;
      if (spec.expected > 0 && completed >= spec.expected && completed - count < spec.expected) {
        send({ type: "done", at: clock(), completed, cpuMs: processCpuMs() });
      }
    },
  };
  const allocations = await startAllocationProfile(process.env[ALLOC_PROFILE_ENV]);
  const worker = await start(spec, hooks);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await allocations?.().catch((error: unknown) => console.error("allocation profile failed", error));
    await worker.stop().catch(() => {});
    process.exit(0);
  };
  process.on("message", (message: ParentMessage) => {
    if (message.type === "stop") void stop();
    if (message.type === "cpu") {
      const usage = process.cpuUsage();
      send({ type: "cpu", userMs: usage.user / 1_000, systemMs: usage.system / 1_000 });
    }
  });
  process.on("disconnect", () => void stop());
  send({ type: "ready" });
}

/**
 * Sampling allocation profile for profile.ts: every allocation, kept or collected (`--heap-prof` keeps only
 * what is still alive at exit, which says nothing about GC pressure). Returns the function that writes it.
 */
async function startAllocationProfile(path: string | undefined): Promise<(() => Promise<void>) | undefined> {
  if (!path) return undefined;
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4_096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post("HeapProfiler.stopSampling");
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  };
}
