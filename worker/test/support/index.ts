/** Shared setup for worker tests: enqueue helpers, status waits and child worker processes. */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import type { z } from "zod";
import type { JobDefinition } from "../../../shared/src/job-definition";
import type { QueueKeys } from "../../../shared/src/keys";
import { enqueue, prepareJob, type EnqueueOptions } from "../../../shared/src/ops/enqueue";
import { getStatus } from "../../../shared/src/ops/read";
import type { JobState, JobStatus } from "../../../shared/src/record";
import type { ScriptRunner } from "../../../shared/src/script-runner";
import { waitFor } from "../../../infra/test/wait-for";

export async function enqueueOne<S extends z.ZodType>(
  runner: ScriptRunner,
  keys: QueueKeys,
  definition: JobDefinition<string, S>,
  data: z.input<S>,
  options?: EnqueueOptions,
): Promise<string> {
  const [result] = await enqueue(runner, keys, [await prepareJob(definition, data, options)]);
  return result!.localId;
}

export function waitForState(
  runner: ScriptRunner,
  keys: QueueKeys,
  localId: string,
  states: JobState | JobState[],
  timeoutMs = 20_000,
): Promise<JobStatus> {
  const wanted = Array.isArray(states) ? states : [states];
  return waitFor(
    async () => {
      const status = await getStatus(runner, keys, localId);
      return status && wanted.includes(status.state) ? status : undefined;
    },
    { timeoutMs, what: `job ${localId} to be ${wanted.join("|")}` },
  );
}

export interface ChildWorker {
  process: ChildProcess;
  workerId: string;
  /** Resolves with the job id of the next job this worker starts. */
  nextStart(): Promise<string>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Forks the test worker process (real createWorker over real Redis) and waits until it says it is ready. */
export async function forkWorker(env: Record<string, string>): Promise<ChildWorker> {
  const child = fork(join(import.meta.dirname, "../fixtures/test-worker.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exit = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const starts: string[] = [];
  const startWaiters: ((id: string) => void)[] = [];
  let ready!: (id: string) => void;
  const readyPromise = new Promise<string>((resolve) => (ready = resolve));
  child.on("message", (message: { type: string; jobId?: string; workerId?: string }) => {
    if (message.type === "ready") ready(message.workerId!);
    if (message.type === "started") {
      const waiter = startWaiters.shift();
      if (waiter) waiter(message.jobId!);
      else starts.push(message.jobId!);
    }
  });
  const workerId = await Promise.race([
    readyPromise,
    exit.then(({ code }) => Promise.reject(new Error(`test worker exited with ${code} before it was ready`))),
  ]);
  return {
    process: child,
    workerId,
    nextStart: () => {
      const queued = starts.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => startWaiters.push(resolve));
    },
    exited: () => exit,
  };
}
