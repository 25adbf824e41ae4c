/**
 * The keys every script that moves jobs between states writes to — claim (with the settlements it carries),
 * settle and tick (reaping, promotion) — in the named form `scriptCall` takes: where a ready job goes (wait, or
 * paused while the pause flag in meta is set), the delayed and dead indexes, the wake key, the counters and this
 * minute's history bucket, the completion callbacks a finished job leaves for the `callback` queue, and the flow
 * gate's wake-up list (whatever frees a concurrency slot wakes a worker waiting for one). Written once here so the
 * three calls cannot drift apart.
 */
import { minuteOf, type QueueKeys } from "../keys";

export function moveKeys(keys: QueueKeys, now: number) {
  return {
    wait: keys.wait,
    paused: keys.paused,
    meta: keys.meta,
    delayed: keys.delayed,
    wake: keys.wake,
    dead: keys.dead,
    stats: keys.stats,
    history: keys.history(minuteOf(now)),
    callbacks: keys.callbacks,
    gateWake: keys.gateWake,
  };
}
