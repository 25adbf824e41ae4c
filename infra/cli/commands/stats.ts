/**
 * `offload stats`: one row per queue (every job type in the registry) — depths, workers, all-time counters — from
 * the same `stats` script the edge's `GET /v1/queues` uses, all queues in one pipelined round trip.
 */
import { JOBS } from "../../../shared/src/jobs/index";
import { parseStatsReply, statsCall } from "../../../shared/src/ops/read";
import { expectPositionals, type Command } from "../command";
import { EXIT } from "../exit-codes";
import { renderTable } from "../table";

export const statsCommand: Command = {
  name: "stats",
  summary: "depths, workers and counters of every queue",
  usage: "stats\n\nOne row per queue: waiting, active, delayed, dead, live workers, and all-time completed/failed/stalled.",
  options: {},
  prepare(positionals) {
    expectPositionals(positionals, 0, "stats");
    return async ({ runner, keys }) => {
      const queues = Object.keys(JOBS).map((name) => keys(name));
      const replies = await runner.runMany(queues.map((queue) => statsCall(queue)));
      const stats = replies.map((reply, i) => parseStatsReply(queues[i]!, reply));
      const text = renderTable(
        ["QUEUE", "WAITING", "ACTIVE", "DELAYED", "DEAD", "WORKERS", "COMPLETED", "FAILED", "STALLED"],
        stats.map((s) => [s.name, s.waiting, s.active, s.delayed, s.dead, s.workers, s.completed, s.failed, s.stalled]),
      );
      return { exitCode: EXIT.ok, json: { queues: stats }, text };
    };
  },
};
