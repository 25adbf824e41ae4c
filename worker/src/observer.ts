/**
 * What a worker tells whoever watches it: metrics (metrics.ts), the chaos suite's trace (infra/chaos/worker-trace.ts)
 * and the bench worker (infra/bench/workers/offload-worker.ts). One interface instead of each of them patching
 * private methods or wrapping `sendCommand`, which broke silently every time the worker's insides moved.
 *
 * Every hook is optional and called synchronously on the worker's hot path: an observer must only count or
 * buffer (no awaiting, no I/O per job). A hook that throws is a bug in the observer; the worker does not guard
 * against it, because a try/catch per event per job is paid by every run.
 *
 * The events, in the order one job meets them:
 *   claimed   — a claim call returned (round trip `ms`), with the entries it moved into our in-flight list
 *   started   — a claimed job got a slot and its handler was called (or it was found to be poison)
 *   settled   — a batch of settlements landed in Redis (inside a claim or on its own), with which were applied
 * And per queue, outside any one job:
 *   popped    — the blocking pop (BLMOVE) moved an entry into our in-flight list
 *   stalled   — our tick reaped an expired worker's in-flight entries (`reaped` handed back, `dead` over maxStalls)
 *   recovered — recovery handed back entries whose claim reply was lost (`count`, possibly 0)
 *   redisError — a call to Redis failed (`op` says which); the caller retries
 *   reconnecting — a connection to Redis was lost and ioredis is dialling again
 */
import type { Settlement } from "../../shared/src/ops/settle";

export interface ClaimedEvent {
  queue: string;
  entries: readonly string[];
  /** How many of them got a slot at once; the rest are claimed ahead (claim-ahead.ts). */
  started: number;
  ms: number;
}

export interface SettledEvent {
  queue: string;
  settlements: readonly Settlement[];
  /** Per settlement: applied, or dropped because the entry was no longer ours (our lease had lapsed). */
  applied: readonly boolean[];
  /** Round trip of the call that carried them. */
  ms: number;
  via: "claim" | "settle";
}

export type RedisOp = "claim" | "settle" | "tick" | "recover" | "pop" | "progress" | "throttle" | "stats";

export interface WorkerObserver {
  claimed?(event: ClaimedEvent): void;
  started?(event: { queue: string; entry: string }): void;
  settled?(event: SettledEvent): void;
  popped?(event: { queue: string; entry: string }): void;
  stalled?(event: { queue: string; reaped: number; dead: number }): void;
  /** A lease tick answered; `nextSchedule` is the queue's earliest schedule fire (scheduler.ts listens). */
  /** `idle`: the tick wrote an idle lease (nothing in flight), so the next heartbeat is the idle one. */
  ticked?(event: { queue: string; nextSchedule?: number; idle?: boolean }): void;
  recovered?(event: { queue: string; count: number }): void;
  redisError?(event: { queue?: string; op: RedisOp | "connection"; error: unknown }): void;
  reconnecting?(event: { connection: string }): void;
}

type Hooks = Required<WorkerObserver>;

/** One observer that calls each given one in turn; hooks nobody implements cost nothing. */
export function combineObservers(observers: readonly WorkerObserver[]): WorkerObserver {
  const combined: WorkerObserver = {};
  const names: (keyof Hooks)[] = ["claimed", "started", "settled", "popped", "stalled", "ticked", "recovered", "redisError", "reconnecting"];
  for (const name of names) {
    const hooks = observers.map((o) => o[name]?.bind(o)).filter((hook) => hook !== undefined) as ((event: never) => void)[];
    if (hooks.length === 1) (combined as Record<string, unknown>)[name] = hooks[0];
    else if (hooks.length > 1) (combined as Record<string, unknown>)[name] = (event: never) => hooks.forEach((hook) => hook(event));
  }
  return combined;
}
