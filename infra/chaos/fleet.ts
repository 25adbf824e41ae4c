/**
 * The chaos worker fleet: forks `chaos-worker.ts` (bundled once with esbuild, so a replacement after a kill
 * starts in a fraction of the time tsx needs), waits for its IPC "ready", and kills or stops workers by pid.
 * Each worker's output goes to one log file per fleet, for post-mortems.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

export const BUILD_DIR = join(import.meta.dirname, ".build");
const READY_TIMEOUT_MS = 60_000;

export interface ChaosWorker {
  readonly workerId: string;
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

export interface FleetOptions {
  /** Environment for every worker (REDIS_URL, LEASE_MS, …; see chaos-worker.ts). */
  env: Record<string, string>;
  /** File the workers' stdout and stderr are appended to. */
  logFile: string;
}

export interface Fleet {
  spawn(env?: Record<string, string>): Promise<ChaosWorker>;
  /** Workers started and not yet seen to exit. */
  live(): ChaosWorker[];
  /** SIGKILL; resolves once the process is gone. */
  kill(worker: ChaosWorker): Promise<void>;
  /**
   * SIGTERM (graceful stop); resolves with the exit code once the process is gone, or "hung" if it had not exited
   * after `timeoutMs` (it is then SIGKILLed).
   */
  terminate(worker: ChaosWorker, timeoutMs?: number): Promise<number | null | "hung">;
  /** SIGTERM to every live worker, awaited; SIGKILL to any that has not exited after `graceMs`. */
  stopAll(graceMs?: number): Promise<void>;
  /** Workers that exited although nobody killed or stopped them (a crash), with how they exited. */
  unexpectedExits(): string[];
}

let bundled: Promise<string> | undefined;

/** Bundles chaos-worker.ts (dependencies stay in node_modules) once per process. */
export function bundleChaosWorker(): Promise<string> {
  bundled ??= build({
    entryPoints: { "chaos-worker": join(import.meta.dirname, "chaos-worker.ts") },
    outdir: BUILD_DIR,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    logLevel: "warning",
  }).then(() => join(BUILD_DIR, "chaos-worker.js"));
  return bundled;
}

export function createFleet(options: FleetOptions): Fleet {
  const workers = new Set<ChaosWorker>();
  const ending = new Set<ChaosWorker>();
  const crashes: string[] = [];
  mkdirSync(join(options.logFile, ".."), { recursive: true });

  async function spawn(env: Record<string, string> = {}): Promise<ChaosWorker> {
    const entry = await bundleChaosWorker();
    const log = openSync(options.logFile, "a");
    const child = fork(entry, [], {
      env: { ...process.env, ...options.env, ...env },
      stdio: ["ignore", log, log, "ipc"],
    });
    closeSync(log);
    const exited = once(child, "exit").then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    const workerId = await new Promise<string>((resolve, reject) => {
      // A worker that cannot start in a minute is as good as dead: fail loudly instead of hanging the run.
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`chaos worker not ready after ${READY_TIMEOUT_MS} ms; see ${options.logFile}`));
      }, READY_TIMEOUT_MS);
      child.on("message", (message: { type?: string; workerId?: string }) => {
        if (message.type === "ready" && message.workerId) {
          clearTimeout(timer);
          resolve(message.workerId);
        }
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`chaos worker exited (${signal ?? code}) before it was ready; see ${options.logFile}`));
      });
    });
    const worker: ChaosWorker = {
      workerId,
      process: child,
      exited,
      alive: () => child.exitCode === null && child.signalCode === null,
    };
    workers.add(worker);
    void exited.then(({ code, signal }) => {
      workers.delete(worker);
      if (!ending.has(worker)) crashes.push(`${workerId} exited by itself (${signal ?? `code ${code}`})`);
    });
    return worker;
  }

  async function kill(worker: ChaosWorker): Promise<void> {
    ending.add(worker);
    if (worker.alive()) worker.process.kill("SIGKILL");
    await worker.exited;
  }

  async function terminate(worker: ChaosWorker, timeoutMs = 30_000): Promise<number | null | "hung"> {
    ending.add(worker);
    if (worker.alive()) worker.process.kill("SIGTERM");
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      worker.process.kill("SIGKILL");
    }, timeoutMs);
    const { code } = await worker.exited;
    clearTimeout(timer);
    return hung ? "hung" : code;
  }

  return {
    spawn,
    live: () => [...workers].filter((worker) => worker.alive()),
    unexpectedExits: () => [...crashes],
    kill,
    terminate,
    async stopAll(graceMs = 15_000) {
      await Promise.all([...workers].map((worker) => terminate(worker, graceMs)));
    },
  };
}
