/**
 * `offload purge <queue> [--before <ISO time>]`: deletes dead letters (records and index entries), all of them or
 * those that died before the given time, in bounded chunks (purgeDead). Exit 1 when there was nothing to purge,
 * so a script can tell "done" from "nothing there".
 */
import { purgeDead } from "../../../shared/src/ops/admin";
import { expectPositionals, knownQueue, stringOption, type Command } from "../command";
import { EXIT, usageError } from "../exit-codes";

export const purgeCommand: Command = {
  name: "purge",
  summary: "delete a queue's dead letters (all, or --before a time)",
  usage:
    "purge <queue> [--before <ISO time>]\n\nDeletes dead-lettered jobs for good. --before 2026-01-31T00:00:00Z keeps those that died later.",
  options: { before: { type: "string" } },
  prepare(positionals, values) {
    const queue = knownQueue(positionals[0], "purge");
    expectPositionals(positionals, 1, "purge");
    const beforeText = stringOption(values, "before");
    let before: number | undefined;
    if (beforeText !== undefined) {
      // ISO dates only: Date.parse also takes "1" or "March 7", and a purge must not guess.
      before = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(beforeText) ? Date.parse(beforeText) : Number.NaN;
      if (Number.isNaN(before)) throw usageError(`purge: --before: expected an ISO time like 2026-01-31T00:00:00Z, got "${beforeText}"`);
    }
    return async ({ runner, keys }) => {
      const result = await purgeDead(runner, keys(queue), before === undefined ? {} : { before });
      const when = before === undefined ? "" : ` that died before ${new Date(before).toISOString()}`;
      return {
        exitCode: result.purged > 0 ? EXIT.ok : EXIT.nothingDone,
        json: result,
        text: result.purged > 0 ? `purged ${result.purged} dead jobs${when} from ${queue}` : `nothing to purge: no dead jobs${when} in ${queue}`,
      };
    };
  },
};
