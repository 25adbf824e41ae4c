--[[ claim_short: claim.lua's pickup case in a script of its own: a worker blocked in BLMOVE was handed one job
  id, carries no settlements and its queue has no limits of its own (ops/claim.ts decides). It claims that one
  entry exactly as claim does, or changes nothing and answers "long" whenever anything claim would do differently
  may apply — then the worker sends claim itself. Why a second script: claim is 30 KB of Lua whose every call
  defines ~60 helpers and walks the flow gate, priorities, groups and the tally (≈ 90 µs in Redis for the one
  job of a pickup, where the commands take ≈ 10); this one defines three, and its commands are the cost.
  KEYS[1] active    LIST  this worker's in-flight ids (where BLMOVE put the entry)
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] meta      HASH  queue settings: anything set there that claim reads sends this call to claim
  KEYS[4] prio      ZSET  waiting ids of another priority: any there may be more urgent, so claim decides
  KEYS[5] delayed   ZSET  local id -> runAt: a job due now is for claim to promote first
  KEYS[6] workers   ZSET  worker id -> lease expiry (the idle -> busy switch, as in claim)
  KEYS[7] fresh     HASH  local id -> packed record of a waiting job never claimed (includes/fresh.lua)
  ARGV[1] now (ms)
  ARGV[2] job key prefix
  ARGV[3] the entry BLMOVE moved into the active list (a local id)
  ARGV[4] this worker's id in `workers`, ARGV[5] lease (ms); "0": the lease is not touched
  returns "long" (nothing changed: send claim), or claim's reply with one job and no settlements:
          { -1 (next due: not looked up), {}, movedFound (1/0), { 0, 0 }, { localId, v, n, d, a, m, o, c, k }? }
]]
-- @include prelude
-- @include fresh
-- @include claim_job
local now, jobPrefix, entry = tonumber(ARGV[1]), ARGV[2], ARGV[3]
-- Paused, grouped, a runtime limit or a back-pressure pause still running: claim's gate, pause and groups apply.
-- (throttledUntil stays in meta once it has passed: only a time still ahead holds claims back.)
local meta = redis.call('HMGET', KEYS[3], 'paused', 'grouped', FLOW.rate, FLOW.concurrency, FLOW.throttledUntil)
if meta[1] or meta[2] or meta[3] or meta[4] then return 'long' end
if (tonumber(meta[5] or '') or 0) > now then return 'long' end
if redis.call('EXISTS', KEYS[4]) == 1 then return 'long' end
if #redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, 1) > 0 then return 'long' end
-- Only if it really is in our list (see claim): not found tells the worker to recover.
if not redis.call('LPOS', KEYS[1], entry) then return { -1, {}, 0, { 0, 0 } } end

local key = jobPrefix .. entry
local job
local packed = redis.call('HGET', KEYS[7], entry)
if packed then
  job = freshClaim(KEYS[7], key, entry, packed, now)
  -- An unreadable packed record is claim's to dead-letter.
  if not job then return 'long' end
else
  local f = claimRead(key)
  -- A missing, stale or unreadable record: claim drops or dead-letters it with the reason.
  if f.err or f[1] ~= 'waiting' then return 'long' end
  job = claimStart(key, entry, f, now)
end

-- Idle -> busy, as claim does it: the lease short again, and a marker wakes a blocked peer to watch it (only
-- when wait is empty: otherwise nobody is blocked).
local leaseMs = tonumber(ARGV[5] or '0') or 0
if leaseMs > 0 then
  local me = ARGV[4]
  local expiry = tonumber(redis.call('ZSCORE', KEYS[6], me) or '')
  if expiry == nil or expiry > now + leaseMs then
    redis.call('ZADD', KEYS[6], now + leaseMs, me)
    if redis.call('LLEN', KEYS[2]) == 0 then redis.call('RPUSH', KEYS[2], MARKER) end
  end
end
return { -1, {}, 1, { 0, 0 }, job }
