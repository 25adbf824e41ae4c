/**
 * Starts a system's benchmark worker as a separate process, the way it would run in production: each entry is
 * bundled with esbuild first (dependencies stay in node_modules for all three systems alike), then run with
 * plain `node`. Everything the parent learns from the child arrives as an IPC event.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { SYSTEMS, type SystemName } from "./bench-job";
import { SPEC_ENV, type ChildMessage, type ParentMessage, type WorkerSpec } from "./workers/protocol";

const here = import.meta.dirname;
export const BUILD_DIR = join(here, ".build");
/** Per process, so a test run cannot rewrite the bundles of a benchmark running at the same time. */
const BUNDLE_DIR = join(BUILD_DIR, `workers-${process.pid}`);

/**
 * Bundles the three worker entries into infra/bench/.build/workers-<pid>/<system>-worker.js (inside the repo, so
 * that node_modules resolves), removed when this process exits.
 */
export async function bundleWorkers(): Promise<void> {
  process.once("exit", removeBundles);
  await build({
    entryPoints: Object.fromEntries(SYSTEMS.map((s) => [`${s}-worker`, join(here, "workers", `${s}-worker.ts`)])),
    outdir: BUNDLE_DIR,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  });
}

export function removeBundles(): void {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /**
   * The oldest message of this type not yet taken, or the next to arrive. Messages are kept until taken, so
   * one that arrives in the same chunk as `ready` (a first handler call, say) is not lost.
   */
  next<T extends ChildMessage["type"]>(type: T, timeoutMs?: number): Promise<Extract<ChildMessage, { type: T }>>;
  /** CPU time used by the child so far (user + system, ms). */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra node flags, e.g. ["--cpu-prof", "--cpu-prof-dir=…"] for profiling. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** Extra environment for the child (e.g. ALLOC_PROFILE_ENV). */
  env?: Record<string, string>;
}

export async function startWorkerProcess(spec: WorkerSpec, options: StartOptions = {}): Promise<WorkerProcess> {
  const child = fork(join(BUNDLE_DIR, `${spec.system}-worker.js`), [], {
    env: { ...process.env, ...options.env, [SPEC_ENV]: JSON.stringify(spec) },
    execArgv: options.nodeArgs ?? [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const inbox = new Map<string, ChildMessage[]>();
  const waiting = new Map<string, ((message: ChildMessage) => void)[]>();
  child.on("message", (message: ChildMessage) => {
    const waiter = waiting.get(message.type)?.shift();
    if (waiter) waiter(message);
    else inbox.set(message.type, [...(inbox.get(message.type) ?? []), message]);
  });

  function next<T extends ChildMessage["type"]>(type: T, timeoutMs = 600_000): Promise<Extract<ChildMessage, { type: T }>> {
    const kept = inbox.get(type)?.shift();
    if (kept) return Promise.resolve(kept as Extract<ChildMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter = (message: ChildMessage) => {
        cleanup();
        resolve(message as Extract<ChildMessage, { type: T }>);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`${spec.system} worker exited (${code}) while waiting for "${type}"`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${spec.system} worker: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        const list = waiting.get(type) ?? [];
        if (list.includes(waiter)) list.splice(list.indexOf(waiter), 1);
        child.off("exit", onExit);
      };
      if (!waiting.has(type)) waiting.set(type, []);
      waiting.get(type)!.push(waiter);
      child.once("exit", onExit);
    });
  }

  const tell = (message: ParentMessage) => child.connected && child.send(message);

  try {
    await next("ready", options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    child,
    next,
    async cpuMs() {
      const reply = next("cpu", 10_000);
      tell({ type: "cpu" });
      const { userMs, systemMs } = await reply;
      return userMs + systemMs;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      tell({ type: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
