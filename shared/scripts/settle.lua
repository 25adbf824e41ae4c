--[[ settle: applies the outcomes of finished runs, a batch per call (settles of concurrent jobs are coalesced).
  Used when there is nothing to claim alongside; otherwise `claim` carries them. Each outcome first removes the
  entry from this worker's in-flight list; if it is not there, another worker reaped it after our lease expired
  and may be running it now, so the outcome is dropped (at-least-once).
  KEYS[1] active    LIST  this worker's in-flight ids
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] delayed   ZSET  local id -> runAt
  KEYS[4] dead      ZSET  dead-lettered local id -> time of death
  KEYS[5] stats     HASH  counters
  KEYS[6] wake      STRING earliest runAt a worker knows about
  KEYS[7] meta      HASH  queue settings (`paused`)
  KEYS[8] paused    LIST  waiting ids while the queue is paused (a hand back goes here then)
  KEYS[9] completed ZSET  local id -> finishedAt, the newest completions
  KEYS[10] history  HASH  this minute's history bucket (completed, failed, dead, run times)
  KEYS[11] callbacks HASH "<local id>:<outcome>" -> URL: completion callbacks to move into the `callback` queue
  KEYS[12] gateWake LIST  wake-up markers for workers waiting for a concurrency slot (flow_gate.lua)
  KEYS[13] prio     ZSET  waiting ids of another priority than the list's (a hand back of one goes here)
  ARGV[1] now (ms)
  ARGV[2] job key prefix
  ARGV[3] number of outcomes N
  ARGV[4..] N groups of 7: entry (as in the in-flight list), record id (differs for a poison entry),
            kind ("completed" | "retry" | "dead" | "handBack" | "throttled"), payload (result JSON | error JSON | ""),
            runAt (ms, retry; throttled: no job of the queue starts before it), ttl (ms, completed/dead record
            retention), runMs (whole ms, "" = unknown)
  returns N integers: 1 applied, 2 applied and a completion callback recorded, 0 dropped because the entry was
          no longer ours
]]
-- @include apply_settlements
local now = tonumber(ARGV[1])
local k = {
  active = KEYS[1], wait = KEYS[2], delayed = KEYS[3], dead = KEYS[4], stats = KEYS[5], wake = KEYS[6],
  meta = KEYS[7], paused = KEYS[8], completed = KEYS[9], history = KEYS[10], callbacks = KEYS[11],
  gateWake = KEYS[12], prio = KEYS[13],
}
local out = applySettlements(k, ARGV[2], now, 4, tonumber(ARGV[3]))
wakeForPriority(k)
flushGroups(k)
flushGroupCounts(k)
-- Each applied settlement freed a concurrency slot: wake a worker waiting for one, if any (1 HGET).
local freed = 0
-- (2 = applied with a callback recorded: still one slot.)
for _, applied in ipairs(out) do if applied > 0 then freed = freed + 1 end end
flowWake(k, freed)
flushTally(k, now)
return out
