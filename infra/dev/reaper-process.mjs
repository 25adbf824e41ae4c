// The dev stack's safety net for the one case the supervisor cannot handle itself: its own sudden death
// (SIGKILL, OOM, a crash). Plain JavaScript so that bare `node` starts it in milliseconds without a TypeScript
// loader; spawned by reaper.ts in its own process group, so the terminal's Ctrl-C does not reach it.
//
// Protocol on stdin, one line each, written by the supervisor:
//   +<pgid>        a child group was started
//   +<pgid> last   a child group to stop only after the others (Redis: workers hand jobs back to it)
//   -<pgid>        a child group was stopped by the supervisor; forget it
// When stdin ends (the supervisor closed it, or died and the kernel closed the pipe), every group still known
// gets SIGTERM (the "last" ones once the others are gone), and SIGKILL if anything is left after the grace
// period given as the first argument (ms).
import process from "node:process";

const graceMs = Number(process.argv[2] ?? 30_000);
const first = new Set();
const last = new Set();
let pending = "";

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines) {
    const match = /^([+-])(\d+)( last)?$/.exec(line.trim());
    if (!match) continue;
    const pgid = Number(match[2]);
    if (match[1] === "+") (match[3] ? last : first).add(pgid);
    else {
      first.delete(pgid);
      last.delete(pgid);
    }
  }
});
process.stdin.on("end", () => void reap());
process.stdin.on("error", () => void reap());
// Detached from the terminal, but a stray group signal must not skip the clean-up.
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});

function alive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function signal(pgid, name) {
  try {
    process.kill(-pgid, name);
  } catch {
    // Already gone.
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopGroups(groups, deadline) {
  for (const pgid of groups) signal(pgid, "SIGTERM");
  // No event tells a non-parent that a process group is empty, so check a few times a second, bounded.
  while ([...groups].some(alive) && Date.now() < deadline) await sleep(100);
  for (const pgid of groups) if (alive(pgid)) signal(pgid, "SIGKILL");
}

let reaping = false;
async function reap() {
  if (reaping) return;
  reaping = true;
  const deadline = Date.now() + graceMs;
  await stopGroups(first, deadline);
  await stopGroups(last, Math.max(deadline, Date.now() + 5_000));
  process.exit(0);
}
