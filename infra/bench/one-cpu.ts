/**
 * Runs a measurement with this process and redis-server pinned to one CPU, then lets them run anywhere again.
 *
 * Why (scenario 2): awaited one by one, each enqueue is a ping-pong between the producer and Redis, and on this
 * 2-vCPU virtual machine its rate depends mostly on where the scheduler puts the two. On two CPUs every reply
 * wakes a sleeping CPU (an inter-processor interrupt, a VM exit) and a call costs ~45 µs of producer CPU; on one
 * CPU the same call costs ~12 µs. Which of the two a run gets changes from minute to minute, so an unpinned
 * single-enqueue figure swings about 3× between runs and mostly measures the scheduler. Pinned, every system
 * gets the same placement and the figure measures what each one's code costs per call.
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";

function setAffinity(pid: number, cpus: string): void {
  // -a: every thread of the process (Redis's background threads, Node's worker threads).
  execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}

/** `undefined` when taskset is missing (the figure is then left out of the run). */
export async function onOneCpu<T>(pids: readonly number[], work: () => Promise<T>): Promise<T | undefined> {
  const all = `0-${availableParallelism() - 1}`;
  try {
    for (const pid of pids) setAffinity(pid, "0");
  } catch {
    for (const pid of pids) { try { setAffinity(pid, all); } catch { /* not pinned */ } }
    return undefined;
  }
  try {
    return await work();
  } finally {
    for (const pid of pids) setAffinity(pid, all);
  }
}
