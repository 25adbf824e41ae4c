/**
 * CPU time of processes the benchmark did not write, read from /proc (Linux): workerd under `wrangler dev`, and
 * the production worker process. /proc/<pid>/stat counts utime + stime in clock ticks (usually 100 per second),
 * so a reading is exact to 10 ms: measure windows that use hundreds of ms or more.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  cpuTicks: number;
}

/** One /proc/<pid>/stat line; undefined when the process is gone. */
function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself contain spaces or parentheses: split after the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  // After comm: state(0) ppid(1) … utime(11) stime(12).
  return { pid, ppid: Number(fields[1]), comm, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU time (user + system, all threads) the process has used so far, in ms; NaN when it is gone. */
export function processCpuMs(pid: number): number {
  const stat = readStat(pid);
  return stat ? (stat.cpuTicks * 1_000) / clockTicks() : NaN;
}

/**
 * Every live process below `root` (children, grandchildren, …) with its command name.
 * @example
 * descendants(wrangler.pid!).filter((p) => p.comm === "workerd")
 */
export function descendants(root: number): { pid: number; comm: string }[] {
  const children = new Map<number, Stat[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  }
  const found: { pid: number; comm: string }[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push({ pid: child.pid, comm: child.comm });
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}
