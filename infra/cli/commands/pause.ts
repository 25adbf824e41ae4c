/**
 * `offload pause <queue>` / `offload resume <queue>`: while paused the queue keeps accepting jobs but no worker
 * starts one; resume wakes blocked workers at once (see setPaused in shared/src/ops/admin.ts).
 */
import { setPaused } from "../../../shared/src/ops/admin";
import { expectPositionals, knownQueue, type Command } from "../command";
import { EXIT } from "../exit-codes";

function pauseCommand(paused: boolean): Command {
  const name = paused ? "pause" : "resume";
  return {
    name,
    summary: paused ? "stop workers starting jobs of a queue (enqueues still accepted)" : "let workers start jobs of a paused queue again",
    usage: paused
      ? "pause <queue>\n\nJobs keep being accepted and wait; running jobs finish; no new job starts until `offload resume <queue>`."
      : "resume <queue>\n\nWaiting jobs start at once: blocked workers are woken.",
    options: {},
    prepare(positionals) {
      const queue = knownQueue(positionals[0], name);
      expectPositionals(positionals, 1, name);
      return async ({ runner, keys }) => {
        const result = await setPaused(runner, keys(queue), paused);
        return { exitCode: EXIT.ok, json: result, text: `${result.name} ${result.paused ? "paused" : "resumed"}` };
      };
    },
  };
}

export const pauseQueueCommand = pauseCommand(true);
export const resumeQueueCommand = pauseCommand(false);
