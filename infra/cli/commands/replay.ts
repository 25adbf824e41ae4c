/**
 * `offload replay <queue> --all | <ids…>`: dead letters back to waiting with the same ids, attempts reset, earlier
 * errors kept (replayDead, in bounded chunks). Ids may be given as job ids (`webhook.mfz3k2x9q1a8b7c6`) or bare
 * local ids. Exit 1 when nothing was replayed (every id unknown or no longer dead, or an empty dead set).
 */
import { parseJobId } from "../../../shared/src/ids";
import { replayDead } from "../../../shared/src/ops/admin";
import { knownQueue, type Command } from "../command";
import { EXIT, usageError } from "../exit-codes";

export const replayCommand: Command = {
  name: "replay",
  summary: "move dead jobs back to waiting (--all, or the given ids)",
  usage:
    "replay <queue> --all\nreplay <queue> <id> [<id>…]\n\nSame ids, attempts reset, earlier errors kept. Ids: webhook.mfz3k2x9q1a8b7c6 or mfz3k2x9q1a8b7c6.",
  options: { all: { type: "boolean" } },
  prepare(positionals, values) {
    const queue = knownQueue(positionals[0], "replay");
    const given = positionals.slice(1);
    const all = values.all === true;
    if (all && given.length > 0) throw usageError("replay: give --all or ids, not both");
    if (!all && given.length === 0) throw usageError("replay: give --all or the ids of the dead jobs to replay");
    const ids = given.map((id) => {
      const full = id.includes(".") ? id : `${queue}.${id}`;
      const parsed = parseJobId(full);
      if (!parsed) throw usageError(`replay: "${id}" is not a job id (expected ${queue}.<16 characters>)`);
      if (parsed.queue !== queue) throw usageError(`replay: ${id} belongs to queue "${parsed.queue}", not "${queue}"`);
      return full;
    });
    return async ({ runner, keys }) => {
      const result = await replayDead(runner, keys(queue), all ? { all: true } : { ids });
      const lines = [`replayed ${result.replayed} dead job${result.replayed === 1 ? "" : "s"} of ${queue}`];
      for (const skip of result.skipped) lines.push(`  skipped ${skip.id}: ${skip.reason}`);
      return { exitCode: result.replayed > 0 ? EXIT.ok : EXIT.nothingDone, json: result, text: lines.join("\n") };
    };
  },
};
