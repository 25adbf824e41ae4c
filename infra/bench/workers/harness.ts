/**
 * The part every benchmark worker process shares: read the spec, start the system's worker, and report over
 * IPC: ready, the first handler call, every call (latency mode), the moment the expected number of
 * completions has landed in Redis, and CPU time on request. Exits when told to stop or when the parent goes.
 */
import { clock, SPEC_ENV, type ChildMessage, type ParentMessage, type WorkerSpec } from "./protocol";
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
      else if (calls === 1) send({ type: "first", at: clock() });
    },
    completed(count = 1) {
      completed += count;
      if (spec.expected > 0 && completed >= spec.expected && completed - count < spec.expected) {
        send({ type: "done", at: clock(), completed });
      }
    },
  };
  const worker = await start(spec, hooks);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
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
