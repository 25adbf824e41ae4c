/**
 * The one place that builds Redis key names. Every key of a queue carries the queue name as its hash tag
 * (`offload:{webhook}:wait`), so each script touches keys of one cluster slot only.
 *
 * Layout (shared/PROTOCOL.md has the state diagram and what each key is for):
 *   {q}:wait            LIST   local ids ready to run; producers LPUSH, workers take from the right
 *   {q}:delayed         ZSET   local ids scored by runAt (ms): scheduled jobs and retries
 *   {q}:active:<worker> LIST   one worker process's in-flight ids (BLMOVE/LMOVE target: never only in memory)
 *   {q}:workers         ZSET   worker id → lease expiry (ms); refreshed by each worker's tick
 *   {q}:job:<local>     HASH   the job record: envelope + status (fields in record.ts)
 *   {q}:fresh           HASH   local id -> packed record of a job waiting in the ready list that was never claimed
 *                              (a field costs Redis ≈ 60 bytes less than a key; includes/fresh.lua, PROTOCOL.md)
 *   {q}:idem:<key>      STRING "<local id> <payload fingerprint>" for Idempotency-Key, expires with retention
 *   {q}:dead            ZSET   dead-lettered local ids scored by time of death
 *   {q}:stats           HASH   counters: completed, failed, dead, stalled
 *   {q}:wake            STRING earliest runAt (ms) a worker has been told about; lets producers wake workers
 *   {q}:meta            HASH   queue settings kept in Redis: `paused` = "1" while paused; the flow-control fields
 *                              of FLOW_META (limits override, back-pressure pause, "a claim waits for a slot")
 *   {q}:paused          LIST   waiting ids while paused (pause RENAMEs wait here, resume renames it back)
 *   {q}:completed       ZSET   local id -> finishedAt, the newest completions (listing only; capped)
 *   {q}:cancelled       ZSET   local id -> cancelledAt (listing only; capped)
 *   {q}:history:<min>   HASH   per-minute counters (min = floor(ms / 60000)), expiring after 24 h
 *   {q}:schedules       HASH   schedule id -> spec JSON (schedules/spec.ts; `source` says code- or API-made)
 *   {q}:schedules:due   ZSET   schedule id -> next fire time (ms); moved only by compare-and-set
 *   {q}:schedules:runs  HASH   schedule id -> "<last tick ms> <last local id>"
 *   {q}:dedupe:<key>    STRING local id of the waiting/delayed job holding a `dedupe` key
 *   {q}:callbacks       HASH   "<local id>:<outcome>" -> callback URL: completion callbacks written by the settle
 *                              scripts, not yet moved into the `callback` queue (callbacks.ts)
 *   {q}:limiter:starts  LIST   start times (ms) inside the current rate-limit window, oldest first; expires with it
 *   {q}:limiter:wake    LIST   wake-up markers for workers waiting for a concurrency slot (a few at most; expires)
 *   {q}:prio            ZSET   waiting local ids of a priority other than the queue's default (the list priority),
 *                              scored by (priority, sequence) (includes/priority.lua)
 *   {q}:gw:<group>      ZSET   a group's waiting local ids, scored by (priority, sequence) like {q}:prio
 *   {q}:gs:<group>      HASH   a group's state: token = where its token is (ready: the ready list, full or later: parked
 *                              ), running = its jobs running, until = back-pressure: none starts before (ms)
 *   {q}:gr:<group>      LIST   a group's rate-limit window (start times), as {q}:limiter:starts
 *   {q}:groups:later    ZSET   group -> reopen time (ms) of a group parked by its rate limit or back-pressure
 * Reserved for the roadmap, same tag so the scripts stay single-slot: {q}:events.
 */
export const DEFAULT_PREFIX = "offload";

/**
 * The marker: the entry a producer pushes onto the wait list to wake a blocked worker (it is never a local id).
 * The Lua scripts get it from here (generated prelude).
 */
export const MARKER = "~";

/**
 * A group token: the ready-list entry that stands for one group with waiting jobs (`^<group>`; never a local id
 * nor the marker). Each active group has at most one, so a claim round-robins between groups (PROTOCOL.md "Groups").
 */
export const GROUP_TOKEN = "^";

/**
 * Flow-control fields of `{q}:meta` (shared/scripts/includes/flow_gate.lua; the Lua side gets them as `FLOW`):
 *   rate            runtime rate-limit override, "<max>/<per ms>" (absent: the definition's)
 *   concurrency     runtime concurrency override (absent: the definition's)
 *   throttledUntil  ms: no job of the queue starts before it (a handler's RateLimitedError, a webhook's 429)
 *   slotWaiters     "1" while a claim found the queue saturated and nobody has been woken since
 */
export const FLOW_META = {
  rate: "rate",
  concurrency: "concurrency",
  throttledUntil: "throttledUntil",
  slotWaiters: "slotWaiters",
} as const;

/** The minute a time falls in, as `history(minute)` names its bucket. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

export interface QueueKeys {
  queue: string;
  wait: string;
  delayed: string;
  workers: string;
  dead: string;
  stats: string;
  wake: string;
  meta: string;
  paused: string;
  completed: string;
  cancelled: string;
  schedules: string;
  schedulesDue: string;
  schedulesRuns: string;
  callbacks: string;
  prio: string;
  /** Fresh jobs' packed records (waiting, never claimed): one field per job instead of a hash of its own. */
  fresh: string;
  /** Prefixes the scripts complete with a local id / worker id / idempotency key. */
  jobPrefix: string;
  activePrefix: string;
  idemPrefix: string;
  historyPrefix: string;
  dedupePrefix: string;
  /** Flow gate: the rate window's start times, and the wake-up list of workers waiting for a slot. */
  rate: string;
  gateWake: string;
  job(localId: string): string;
  active(workerId: string): string;
  idem(key: string): string;
  /** Per-minute history bucket; `minute` = floor(ms / 60000). */
  history(minute: number): string;
  dedupe(key: string): string;
  /** Groups (groups.lua derives the same names from the meta key): waiting zset, state hash, rate window. */
  groupWait(group: string): string;
  groupState(group: string): string;
  groupRate(group: string): string;
  groupsLater: string;
}

/**
 * @example
 * const k = queueKeys("webhook");
 * k.wait // "offload:{webhook}:wait"
 * k.job("mfz3k2x9q1a8b7c6") // "offload:{webhook}:job:mfz3k2x9q1a8b7c6"
 */
export function queueKeys(queue: string, prefix: string = DEFAULT_PREFIX): QueueKeys {
  const base = `${prefix}:{${queue}}:`;
  const jobPrefix = `${base}job:`;
  const activePrefix = `${base}active:`;
  const idemPrefix = `${base}idem:`;
  const historyPrefix = `${base}history:`;
  const dedupePrefix = `${base}dedupe:`;
  return {
    queue,
    wait: `${base}wait`,
    delayed: `${base}delayed`,
    workers: `${base}workers`,
    dead: `${base}dead`,
    stats: `${base}stats`,
    wake: `${base}wake`,
    meta: `${base}meta`,
    paused: `${base}paused`,
    completed: `${base}completed`,
    cancelled: `${base}cancelled`,
    schedules: `${base}schedules`,
    schedulesDue: `${base}schedules:due`,
    schedulesRuns: `${base}schedules:runs`,
    callbacks: `${base}callbacks`,
    prio: `${base}prio`,
    fresh: `${base}fresh`,
    jobPrefix,
    activePrefix,
    idemPrefix,
    historyPrefix,
    dedupePrefix,
    rate: `${base}limiter:starts`,
    gateWake: `${base}limiter:wake`,
    job: (localId) => jobPrefix + localId,
    active: (workerId) => activePrefix + workerId,
    idem: (key) => idemPrefix + key,
    history: (minute) => historyPrefix + minute,
    dedupe: (key) => dedupePrefix + key,
    groupWait: (group) => `${base}gw:${group}`,
    groupState: (group) => `${base}gs:${group}`,
    groupRate: (group) => `${base}gr:${group}`,
    groupsLater: `${base}groups:later`,
  };
}
