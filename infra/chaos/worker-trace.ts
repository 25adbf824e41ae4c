/**
 * Optional tracing for the chaos worker (CHAOS_TRACE=1): one line per step the real worker reports through its
 * observer (worker/src/observer.ts) — claims with the entries they moved, blocking pops, starts, settlements
 * landing (applied or dropped), reaps and recoveries, failed Redis calls — so a duplicate or a loss can be traced
 * to the step that caused it. Only listens; changes no behaviour.
 */
import type { WorkerObserver } from "../../worker/src/observer";

export function traceObserver(write: (line: string) => void): WorkerObserver {
  const line = (text: string) => write(`${Date.now()} ${text}`);
  return {
    claimed: ({ queue, entries, started, ms }) =>
      line(`claim ${queue} got=${entries.length} started=${started} ms=${ms.toFixed(1)} [${entries.join(",")}]`),
    popped: ({ queue, entry }) => line(`pop ${queue} moved=${entry}`),
    started: ({ queue, entry }) => line(`start ${queue} ${entry}`),
    settled: ({ queue, settlements, applied, via }) =>
      line(`settled ${queue} via=${via} ${settlements.map((s, i) => `${s.entry}:${s.kind}:${applied[i] ? "applied" : "dropped"}`).join(",")}`),
    stalled: ({ queue, reaped, dead }) => line(`reaped ${queue} reaped=${reaped} dead=${dead}`),
    recovered: ({ queue, count }) => line(`recover ${queue} handedBack=${count}`),
    redisError: ({ queue, op, error }) => line(`error ${queue ?? "-"} ${op} ${(error as Error)?.message ?? String(error)}`),
    reconnecting: ({ connection }) => line(`reconnecting ${connection}`),
  };
}
