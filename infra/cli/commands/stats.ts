/**
 * `offload stats`: one row per queue (every job type in the registry) — paused, depths by state, live workers and
 * the all-time counters — from getQueueDetail, the call behind the admin API's queue page. It is used rather than
 * the producer-side `stats` script because it also counts the jobs waiting in a paused queue (pause moves the wait
 * list aside) and says whether the queue is paused. Asked for one minute of history only, which it drops: the
 * CLI has no chart, and a minute costs one HGETALL per queue.
 */
import { JOBS } from "../../../shared/src/jobs/index";
import { getQueueDetail } from "../../../shared/src/ops/admin";
import { expectPositionals, type Command } from "../command";
import { EXIT } from "../exit-codes";
import { renderTable } from "../table";

export const statsCommand: Command = {
  name: "stats",
  summary: "depths, workers and counters of every queue",
  usage:
    "stats\n\nOne row per queue: paused, waiting, active, delayed, dead, live workers, and the all-time counters " +
    "(completed, failed attempts, stalls).",
  options: {},
  prepare(positionals) {
    expectPositionals(positionals, 0, "stats");
    return async ({ runner, keys }) => {
      const details = await Promise.all(Object.keys(JOBS).map((name) => getQueueDetail(runner, keys(name), { minutes: 1 })));
      const queues = details.map(({ name, paused, counts, totals, workers }) => ({ name, paused, counts, totals, workers }));
      const text = renderTable(
        ["QUEUE", "PAUSED", "WAITING", "ACTIVE", "DELAYED", "DEAD", "WORKERS", "COMPLETED", "FAILED", "STALLED"],
        queues.map((q) => [
          q.name,
          q.paused ? "yes" : "no",
          q.counts.waiting,
          q.counts.active,
          q.counts.delayed,
          q.counts.dead,
          q.workers.length,
          q.totals.completed,
          q.totals.failed,
          q.totals.stalled,
        ]),
      );
      return { exitCode: EXIT.ok, json: { queues }, text };
    };
  },
};
