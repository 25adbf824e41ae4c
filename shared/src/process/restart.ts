/**
 * Keeps one worker process running — a worker of the dev stack (infra/dev/stack.ts), or one of a machine's
 * WORKER_PROCESSES under the worker's supervisor (worker/src/supervisor.ts) — as Fly's `[[restart]] policy =
 * "always"` does for a whole machine in production: when
 * the process dies (SIGKILL, a crash, even exit 0) it is started again after a backoff, with one log line that
 * says which worker, how it ended and what happens to its jobs (they stay in its in-flight list and are handed
 * back by any worker's tick once its lease expires — that is the crash recovery a user wants to watch).
 *
 * A process that dies before it ever said "ready" counts as a crash at start. After MAX_CRASHES_AT_START of
 * those in a row the worker is given up on (a broken build, config or taken port would otherwise restart
 * forever and bury the cause): `gaveUp` resolves with the last exit and output, and the stack decides (see
 * stack.ts). Becoming ready resets the count, so killing a running worker any number of times is always fine.
 *
 * Backoff: RESTART_BASE_MS doubled per crash at start, capped at RESTART_MAX_MS. The cost: a worker killed by
 * hand is back after half a second, not at once — enough to keep a crash loop from eating a core.
 */
import type { ChildExit, ChildHandle } from "./children";

export const MAX_CRASHES_AT_START = 5;
export const RESTART_BASE_MS = 500;
export const RESTART_MAX_MS = 8_000;

export interface GiveUp extends ChildExit {
  /** One line (plus the last output) for the user: which worker, how often, how it last ended. */
  reason: string;
}

export interface SupervisorOptions {
  name: string;
  /** Starts a fresh process (the stack's launch: log prefix, reaper tracking). */
  start(): ChildHandle;
  /**
   * Calls `ready` once the process says it is ready (a log line in the dev stack, an IPC message under the
   * worker's supervisor); returns what stops watching.
   */
  watchReady(child: ChildHandle, ready: () => void): () => void;
  /** A process is gone (exited or killed): the stack untracks its group. */
  onExit(child: ChildHandle, exit: ChildExit): void;
  say(line: string): void;
  /** For the log line: how long until an abandoned in-flight job is handed back. */
  leaseText: string;
}

export interface SupervisedWorker {
  readonly name: string;
  /** The process running now (or the last one, between a death and its restart). */
  current(): ChildHandle;
  /** Every pid this worker has had, oldest first. */
  pids(): readonly number[];
  /** Resolves the first time a process of this worker is ready; rejects if the worker is given up on first. */
  readonly ready: Promise<void>;
  /** Resolves if the worker is given up on (crash loop at start). Never rejects. */
  readonly gaveUp: Promise<GiveUp>;
  /** Stops restarting, then stops the current process (SIGTERM, SIGKILL after graceMs). */
  stop(graceMs: number): Promise<ChildExit | undefined>;
  /** Stops restarting; SIGKILL to the current process. */
  kill(): void;
}

const describeExit = (exit: ChildExit) => (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);

/**
 * @example
 * const worker = superviseWorker({ name: "worker-1", start: () => launch(spec), watchReady: (child, ready) => child.subscribe((l) => l.includes("worker started") && ready()), … });
 * await worker.ready;
 * await worker.stop(30_000);
 */
export function superviseWorker(options: SupervisorOptions): SupervisedWorker {
  const { name, say } = options;
  let current = options.start();
  const pids = [current.pid];
  let stopping = false;
  let cancelWait: () => void = () => {};
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((resolveReady = resolve), (rejectReady = reject)));
  ready.catch(() => {}); // the stack awaits it during start only; a later give-up is reported through gaveUp
  let resolveGaveUp!: (giveUp: GiveUp) => void;
  const gaveUp = new Promise<GiveUp>((resolve) => (resolveGaveUp = resolve));

  async function keepRunning(): Promise<void> {
    let crashesAtStart = 0;
    for (;;) {
      const child = current;
      let becameReady = false;
      const unsubscribe = options.watchReady(child, () => {
        if (becameReady) return;
        becameReady = true;
        crashesAtStart = 0;
        resolveReady();
      });
      const exit = await child.exited;
      unsubscribe();
      options.onExit(child, exit);
      if (stopping) return;

      if (!becameReady) crashesAtStart += 1;
      if (crashesAtStart >= MAX_CRASHES_AT_START) {
        const tail = child.tail().trim();
        const reason =
          `${name} crashed ${crashesAtStart} times in a row before it was ready (last: ${describeExit(exit)}); not restarting it` +
          (tail ? `. Its last output:\n${tail}` : "");
        say(reason.split("\n")[0]!);
        rejectReady(new Error(reason));
        resolveGaveUp({ ...exit, reason });
        return;
      }
      const delayMs = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** Math.max(0, crashesAtStart - 1));
      const jobs = becameReady
        ? `its in-flight jobs stay in Redis and are handed back to the queue once its lease expires (within ${options.leaseText})`
        : `before it was ready (crash ${crashesAtStart} of ${MAX_CRASHES_AT_START} allowed at start)`;
      say(`${name} (pid ${child.pid}) died: ${describeExit(exit)}; ${jobs}; restarting it in ${(delayMs / 1000).toFixed(1)}s`);

      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        cancelWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopping) return;
      try {
        current = options.start();
      } catch {
        return; // the stack refuses new children once it is stopping (it stops us right after)
      }
      pids.push(current.pid);
      say(`${name} restarted (pid ${current.pid})`);
    }
  }
  void keepRunning();

  return {
    name,
    current: () => current,
    pids: () => pids,
    ready,
    gaveUp,
    async stop(graceMs) {
      stopping = true;
      cancelWait();
      rejectReady(new Error(`${name}: stopped before it was ready`));
      if (current.hasExited()) return undefined;
      return current.stop("SIGTERM", graceMs);
    },
    kill() {
      stopping = true;
      cancelWait();
      current.kill();
    },
  };
}
