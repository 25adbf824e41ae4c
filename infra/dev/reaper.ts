/**
 * Starts reaper-process.mjs, the process that stops the stack's children if the supervisor dies without doing it
 * (see the protocol at the top of reaper-process.mjs), and tells it which process groups exist.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface Reaper {
  readonly pid: number;
  /** A group was started; `last` groups are stopped after the others. */
  track(pgid: number, options?: { last?: boolean }): void;
  /** A group was stopped by the supervisor. */
  untrack(pgid: number): void;
  /** Normal end: every group is already stopped; the reaper exits. */
  close(): Promise<void>;
}

/**
 * @example
 * const reaper = startReaper(30_000);
 * reaper.track(child.pid);
 * // ... child stopped ...
 * reaper.untrack(child.pid);
 * await reaper.close();
 */
export function startReaper(graceMs: number): Reaper {
  const script = fileURLToPath(new URL("./reaper-process.mjs", import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, String(graceMs)], {
    detached: true,
    stdio: ["pipe", "ignore", "inherit"],
  });
  // The supervisor must be able to exit while the reaper waits on its pipe.
  child.unref();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // If the reaper itself is gone, writes fail; that must not crash the supervisor.
  child.stdin?.on("error", () => {});
  const send = (line: string) => {
    if (child.stdin?.writable) child.stdin.write(`${line}\n`);
  };
  return {
    pid: child.pid ?? -1,
    track: (pgid, options) => send(`+${pgid}${options?.last ? " last" : ""}`),
    untrack: (pgid) => send(`-${pgid}`),
    async close() {
      child.ref(); // wait for it after all, or Node could exit first with nothing else left to do
      child.stdin?.end();
      await exited;
    },
  };
}
