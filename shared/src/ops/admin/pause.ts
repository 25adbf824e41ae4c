/**
 * Pause and resume. The flag lives in Redis (`{q}:meta` paused = "1"), so it survives worker restarts and
 * applies to every worker at once; the wait list is renamed aside while paused, so blocked workers keep
 * blocking instead of polling, and renamed back on resume, which wakes them at once.
 *
 * Both are idempotent. Each script call is bounded (it moves at most BULK_CHUNK entries when two lists have to
 * be merged, which only happens around an unfinished earlier call); the loop here repeats until it is done.
 */
import type { QueueKeys } from "../../keys";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../../script-runner";
import { BULK_CHUNK } from "./types";

export function pauseCall(keys: QueueKeys, chunk: number = BULK_CHUNK): ScriptCall {
  return scriptCall("pause", { meta: keys.meta, wait: keys.wait, paused: keys.paused }, [chunk]);
}

export function resumeCall(keys: QueueKeys, chunk: number = BULK_CHUNK): ScriptCall {
  return scriptCall("resume", { meta: keys.meta, wait: keys.wait, paused: keys.paused, prio: keys.prio }, [chunk]);
}

/**
 * Pause keeps accepting enqueues but no worker starts a job; resume wakes blocked workers at once.
 * @example
 * await setPaused(runner, keys, true); // { name: "webhook", paused: true }
 */
export async function setPaused(
  runner: ScriptRunner,
  keys: QueueKeys,
  paused: boolean,
): Promise<{ name: string; paused: boolean }> {
  const call = paused ? pauseCall(keys) : resumeCall(keys);
  // Each call either finishes or shrinks the list it drains by a full chunk, so this ends.
  while (Number(await runner.run(call)) > 0);
  return { name: keys.queue, paused };
}
