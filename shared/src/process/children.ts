/**
 * Child processes of a supervisor (the dev stack, infra/dev/stack.ts; the worker's WORKER_PROCESSES supervisor,
 * worker/src/supervisor.ts). Each is spawned as the leader of its own process group (`detached: true`) and
 * always signalled as a group, for two reasons:
 * - a child's own children go with it (wrangler's workerd and esbuild would otherwise outlive `wrangler dev`);
 * - a terminal's Ctrl-C reaches the supervisor only, which then stops the children in order (workers first,
 *   gracefully, Redis last) instead of everything dying at once.
 * A process group id is the leader's pid, so `pid` below is both.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface ChildExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildSpec {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Every line the child writes on stdout or stderr (not called with `inheritOutput`). */
  onLine?(line: string): void;
  /**
   * The child writes straight to this process's stdout and stderr instead of a pipe read here: nothing to
   * re-emit, and its output outlives this process. Why the worker supervisor wants it: a child whose stdout is
   * its supervisor's pipe gets EPIPE once the supervisor is SIGKILLed, and pino's sonic-boom then retries the
   * failed line every 100 ms in its exit-time flushSync, so the child never exits. `subscribe` and `tail` see
   * nothing in this mode.
   */
  inheritOutput?: boolean;
  /** Opens an IPC channel (`process.send` in the child); its messages reach `onMessage` listeners. */
  ipc?: boolean;
}

export interface ChildHandle {
  readonly name: string;
  /** The child's pid, which is also its process group id. */
  readonly pid: number;
  /** Resolves when the group leader has exited. */
  readonly exited: Promise<ChildExit>;
  readonly hasExited: () => boolean;
  /** Calls `listener` for each new line until the returned function is called. */
  subscribe(listener: (line: string) => void): () => void;
  /** Calls `listener` for each IPC message (spec.ipc) until the returned function is called. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Sends an IPC message (spec.ipc); false if the channel is closed. */
  send(message: unknown): boolean;
  /** The last lines of output, for error messages. */
  tail(): string;
  /**
   * Sends `signal` to the group, SIGKILL after `graceMs`, and once the leader is gone SIGKILLs whatever is left
   * in its group. Resolves when the leader has exited.
   */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<ChildExit>;
  /** SIGKILL to the whole group, now. */
  kill(): void;
}

const TAIL_LINES = 20;

/**
 * @example
 * const redis = spawnChild({ name: "redis", command: "redis-server", args: ["--port", "6380"], cwd, env, onLine });
 * await redis.stop("SIGTERM", 10_000);
 */
export function spawnChild(spec: ChildSpec): ChildHandle {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: [
      "ignore",
      spec.inheritOutput ? "inherit" : "pipe",
      spec.inheritOutput ? "inherit" : "pipe",
      ...(spec.ipc ? (["ipc"] as const) : []),
    ],
  });
  const listeners = new Set<(line: string) => void>();
  const recent: string[] = [];
  let exit: ChildExit | undefined;

  const exited = new Promise<ChildExit>((resolve) => {
    // `close` (not `exit`): stdout and stderr are drained, so the last lines are in the tail.
    child.once("close", (code, signal) => {
      exit = { name: spec.name, code, signal };
      resolve(exit);
    });
    child.once("error", (error) => {
      recent.push(error.message);
      exit = { name: spec.name, code: null, signal: null };
      resolve(exit);
    });
  });

  for (const stream of spec.inheritOutput ? [] : [child.stdout!, child.stderr!]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      recent.push(line);
      if (recent.length > TAIL_LINES) recent.shift();
      spec.onLine?.(line);
      for (const listener of listeners) listener(line);
    });
  }

  // spawn() reports a missing binary asynchronously; without a pid there is no group to manage.
  const pid = child.pid ?? -1;

  return {
    name: spec.name,
    pid,
    exited,
    hasExited: () => exit !== undefined,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onMessage(listener) {
      child.on("message", listener);
      return () => child.off("message", listener);
    },
    send: (message) => child.connected && child.send(message as object, () => {}),
    tail: () => recent.join("\n"),
    async stop(signal, graceMs) {
      if (pid > 0 && exit === undefined) signalGroup(pid, signal);
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      signalGroup(pid, "SIGKILL");
      return result;
    },
    kill: () => signalGroup(pid, "SIGKILL"),
  };
}

/** Signals every process in group `pgid`; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (pgid <= 0) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}
