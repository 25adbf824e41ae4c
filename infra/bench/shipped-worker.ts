/**
 * The production worker process as `npm run worker` runs it (dist bundle of worker/src/main.ts, its own env
 * parsing, every shipped job type: noop, digest in the thread pool, webhook), for figures that are about the
 * shipped process rather than the benchmark's one-queue worker (issue 9: idle cost per process with the 3
 * shipped job types). It is not one of the benchmark's IPC workers: it is ready when it logs "worker started",
 * and its CPU time comes from /proc.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { buildWorker } from "../scripts/build-worker";
import { processCpuMs } from "./proc-cpu";
import { BUILD_DIR } from "./worker-process";

/**
 * The job types the production worker serves by default (shared/src/jobs/index.ts; `event` is the built-in fan-out
 * queue, `callback` the built-in completion-callback queue).
 */
export const SHIPPED_QUEUES = ["webhook", "noop", "digest", "event", "callback"] as const;

const BUNDLE_DIR = join(BUILD_DIR, `shipped-worker-${process.pid}`);
let built: Promise<string> | undefined;

export interface ShippedWorker {
  readonly child: ChildProcess;
  /** The queues its "worker started" log line names (undefined if the line has no `queues`). */
  readonly queues: string[] | undefined;
  /** CPU time (user + system, all threads) so far, ms, from /proc: exact to one clock tick (10 ms). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Bundles the production worker once per benchmark process (removed by removeShippedBundle, or at exit). */
function bundle(): Promise<string> {
  if (!built) {
    process.once("exit", removeShippedBundle);
    built = buildWorker(BUNDLE_DIR);
  }
  return built;
}

/** Removes the bundle (test runners may end a worker without its "exit" event). */
export function removeShippedBundle(): void {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  built = undefined;
}

export async function startShippedWorker(
  redisUrl: string,
  options: {
    concurrency?: number;
    readyTimeoutMs?: number;
    /** More environment (WORKER_PROCESSES, WORKER_QUEUES: scenarios/processes.ts). */
    env?: Record<string, string>;
    /** "worker started" lines to wait for: one per process under WORKER_PROCESSES' supervisor. Default 1. */
    readyLines?: number;
  } = {},
): Promise<ShippedWorker> {
  const dir = await bundle();
  const child = spawn(process.execPath, [join(dir, "main.js")], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      WORKER_CONCURRENCY: String(options.concurrency ?? 10),
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
      HEALTH_PORT: "0",
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit");
  let output = "";
  let queues: string[] | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`production worker: no "worker started" within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`)), options.readyTimeoutMs ?? 30_000);
    let started = 0;
    let partial = "";
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
      const complete = (partial + chunk.toString()).split("\n");
      partial = complete.pop()!;
      const starts = complete.filter((l) => l.includes('"msg":"worker started"'));
      started += starts.length;
      const line = starts.at(-1);
      if (line === undefined || started < (options.readyLines ?? 1)) return;
      try {
        const parsed = (JSON.parse(line) as { queues?: unknown }).queues;
        queues = Array.isArray(parsed) ? parsed.map(String) : undefined;
      } catch {
        queues = undefined;
      }
      finish();
    };
    const onExit = (code: number | null) => fail(new Error(`production worker exited (${code}) before it started:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.stderr!.off("data", onData);
      child.off("exit", onExit);
      // Keep draining its output so a chatty log can never block it.
      child.stdout!.resume();
      child.stderr!.resume();
    };
    const finish = () => {
      cleanup();
      resolve();
    };
    const fail = (error: Error) => {
      cleanup();
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
  });
  return {
    child,
    queues,
    cpuMs: () => processCpuMs(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
