--[[ queue_detail: everything the queue page shows, from one consistent moment in one round trip: counts by
  state, the paused flag, all-time counters, the workers with their leases, and the per-minute history.
  Cost: O(workers + minutes): counts are LLEN/ZCARD (O(1)); markers are counted only among the 100 entries at
  each list's consuming end, as `stats` counts them (producers push them there and claims take them from there
  first, so deeper ones do not occur in practice); minutes with no bucket cost one empty HGETALL and return
  nothing.
  Measured once (redis 7.0.15, INFO commandstats, 30 calls): 1,440 buckets of 22 fields 18.6 ms, of 9 fields
  (typical: a few histogram bins per minute) 13.1 ms per call, on a 2-core machine at load 8.5 (six other test
  runs), where Redis had about a quarter of a core: a few ms on an idle core. The cost is reading the buckets
  (one HGETALL each), not the rest. The default 60 minutes costs 1/24 of that.
  KEYS[1] meta      HASH  `paused` = "1" while paused; the flow-control override and pause (FLOW_META)
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] paused    LIST  waiting local ids while paused
  KEYS[4] delayed   ZSET  local id -> runAt
  KEYS[5] workers   ZSET  worker id -> lease expiry (ms)
  KEYS[6] dead      ZSET  dead-lettered local ids
  KEYS[7] completed ZSET  recently completed local ids
  KEYS[8] cancelled ZSET  recently cancelled local ids
  KEYS[9] stats     HASH  all-time counters
  KEYS[10] prio     ZSET  waiting local ids of another priority than the list's
  ARGV[1] in-flight list prefix
  ARGV[2] history key prefix
  ARGV[3] first minute (floor(ms / 60000))
  ARGV[4] number of minutes
  returns { paused (1/0), wait length, paused length, markers in both, delayed, completed, cancelled, dead,
            counters flat [field, value, ...], workers flat [id, lease expiry, in-flight length, ...],
            history flat [minute, [field, value, ...], ...] (only minutes that have a bucket),
            { rate override, concurrency override, throttledUntil } (false where unset), prio length,
            { grouped waiting jobs, group tokens in the lists } (groups.lua; false where unset) }
]]
-- @include prelude
local function markers(list)
  return #redis.call('LPOS', list, MARKER, 'RANK', -1, 'COUNT', 0, 'MAXLEN', 100)
end

local workers = {}
local leases = redis.call('ZRANGE', KEYS[5], 0, -1, 'WITHSCORES')
for i = 1, #leases, 2 do
  workers[#workers + 1] = leases[i]
  workers[#workers + 1] = leases[i + 1]
  workers[#workers + 1] = redis.call('LLEN', ARGV[1] .. leases[i])
end

local history = {}
local first, minutes = tonumber(ARGV[3]), tonumber(ARGV[4])
for minute = first, first + minutes - 1 do
  local bucket = redis.call('HGETALL', ARGV[2] .. minute)
  if #bucket > 0 then
    history[#history + 1] = minute
    history[#history + 1] = bucket
  end
end

local paused = 0
if redis.call('HGET', KEYS[1], 'paused') == '1' then paused = 1 end
return {
  paused,
  redis.call('LLEN', KEYS[2]),
  redis.call('LLEN', KEYS[3]),
  markers(KEYS[2]) + markers(KEYS[3]),
  redis.call('ZCARD', KEYS[4]),
  redis.call('ZCARD', KEYS[7]),
  redis.call('ZCARD', KEYS[8]),
  redis.call('ZCARD', KEYS[6]),
  redis.call('HGETALL', KEYS[9]),
  workers,
  history,
  redis.call('HMGET', KEYS[1], FLOW.rate, FLOW.concurrency, FLOW.throttledUntil),
  redis.call('ZCARD', KEYS[10]),
  redis.call('HMGET', KEYS[1], 'groupWaiting', 'groupTokens'),
}
