-- @include ready_list
-- Applies n settlements read from ARGV[first..] (6 values each: entry, record id, kind, payload, runAt, ttl)
-- and returns one flag per settlement: 1 applied, 0 dropped because the entry was no longer in our in-flight
-- list (another worker reaped it after our lease lapsed and may be running it: at-least-once). Shared by
-- `settle` and by `claim`, which carries a worker's pending settlements in the same call.
-- k: { active, wait, paused, meta, delayed, dead, stats, wake } key names (k.ready: the ready list, looked up here
-- on the first hand back when the script has not already done so).
local function applySettlements(k, jobPrefix, now, first, n)
  local out = {}
  -- Counters are added up here and written once per call, not once per job.
  local counts = { completed = 0, failed = 0, dead = 0 }
  for i = 0, n - 1 do
    local base = first + i * 6
    local entry, id, kind, payload = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
    local runAt, ttl = tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5])
    local key = jobPrefix .. id
    -- Scan from the tail: the oldest claims sit there and usually finish first.
    if redis.call('LREM', k.active, -1, entry) == 0 then
      out[#out + 1] = 0
    else
      if kind == 'completed' then
        -- The error of an earlier attempt stays: "completed on attempt 3 after <error>" is worth keeping.
        redis.call('HSET', key, 's', 'completed', 'f', now, 'x', payload)
        redis.call('PEXPIRE', key, ttl)
        counts.completed = counts.completed + 1
      elseif kind == 'retry' then
        redis.call('HSET', key, 's', 'delayed', 'e', payload, 'r', runAt)
        redis.call('ZADD', k.delayed, runAt, id)
        counts.failed = counts.failed + 1
        -- The settling worker schedules its own wake-up for runAt; recording it spares producers a marker.
        local wake = tonumber(redis.call('GET', k.wake) or '')
        if wake == nil or runAt < wake then redis.call('SET', k.wake, runAt) end
      elseif kind == 'dead' then
        redis.call('HSET', key, 's', 'dead', 'e', payload, 'f', now)
        redis.call('PEXPIRE', key, ttl)
        redis.call('ZADD', k.dead, now, id)
        -- The dead index forgets what its records have forgotten, so it never grows without bound.
        redis.call('ZREMRANGEBYSCORE', k.dead, '-inf', now - ttl)
        counts.failed = counts.failed + 1
        counts.dead = counts.dead + 1
      elseif kind == 'return' then
        -- Not run to the end (shutdown): give the attempt back and put it first in line.
        redis.call('HSET', key, 's', 'waiting')
        redis.call('HINCRBY', key, 'a', -1)
        if not k.ready then k.ready = readyList(k) end
        redis.call('RPUSH', k.ready, id)
      end
      out[#out + 1] = 1
    end
  end
  for counter, count in pairs(counts) do
    if count > 0 then redis.call('HINCRBY', k.stats, counter, count) end
  end
  return out
end
