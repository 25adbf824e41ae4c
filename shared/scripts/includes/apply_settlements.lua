-- @include prelude
-- @include hand_back
-- @include priority
-- @include dead_letter
-- @include callback_record
-- @include flow_gate
-- Applies n settlements read from ARGV[first..] (7 values each: entry, record id, kind, payload, runAt, ttl,
-- runMs ("" = not measured); kinds: completed, retry, dead, handBack, throttled) and returns one flag per
-- settlement: 1 applied, 2 applied and a completion callback recorded in {q}:callbacks (the worker then moves it
-- on), 0 dropped because the entry was no longer in our in-flight list (another worker reaped it after our lease
-- lapsed and may be running it:
-- at-least-once). Shared by `settle` and by `claim`, which carries a worker's pending settlements in the same
-- call. Counters, history and the completed index are added up in the tally; the caller flushes it once.
-- k: { active, wait, paused, meta, delayed, dead, stats, wake, completed, history, callbacks, gateWake, prio } key
-- names. A caller ends with wakeForPriority(k) (a hand back may have pushed to the priority zset), flushGroups(k)
-- and flushGroupCounts(k) (a hand back of a grouped job).
local function applySettlements(k, jobPrefix, now, first, n)
  local out = {}
  for i = 0, n - 1 do
    local base = first + i * 7
    local entry, id, kind, payload = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
    local runAt, ttl, runMs = tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5]), tonumber(ARGV[base + 6])
    local key = jobPrefix .. id
    -- Scan from the tail: the oldest claims sit there and usually finish first.
    if redis.call('LREM', k.active, -1, entry) == 0 then
      out[#out + 1] = 0
    else
      local flag = 1
      if runMs and kind ~= 'handBack' then countRun(k, runMs) end
      if kind == 'completed' then
        -- The error of an earlier attempt stays: "completed on attempt 3 after <error>" is worth keeping.
        -- 4 calls per job (LREM above, HSET, PEXPIRE, the HGET of the options a callback lives in); the
        -- completed index is one ZADD per call.
        -- The options and the group in one HMGET (a job of a group gives its group slot back).
        local f = redis.call('HMGET', key, F.options, F.group)
        redis.call('HSET', key, F.state, 'completed', F.finishedAt, now, F.result, payload)
        redis.call('PEXPIRE', key, ttl)
        indexCompleted(k, id)
        countOutcome(k, 'completed')
        if f[2] then groupRelease(k, f[2]) end
        if recordCallback(k, id, 'completed', f[1]) then flag = 2 end
      elseif kind == 'retry' then
        -- A failure pays one HMGET more, for the errors history (completions pay nothing for it) and the
        -- priority the retry keeps (in its delayed score, priority.lua).
        local f = redis.call('HMGET', key, F.attempt, F.errors, F.priority, F.group)
        if f[4] then groupRelease(k, f[4]) end
        redis.call('HSET', key, F.state, 'delayed', F.error, payload, F.runAt, runAt, F.errors, withError(f[2], payload, f[1], now))
        redis.call('ZADD', k.delayed, delayedScore(runAt, storedPriority(f[3])), id)
        countOutcome(k, 'failed')
        -- The settling worker schedules its own wake-up for runAt; recording it spares producers a marker.
        local wake = tonumber(redis.call('GET', k.wake) or '')
        if wake == nil or runAt < wake then redis.call('SET', k.wake, runAt) end
      elseif kind == 'dead' then
        -- A death pays one HGET more for the group (failures are rare; completions pay nothing for it).
        local group = redis.call('HGET', key, F.group)
        if group then groupRelease(k, group) end
        if deadLetter(k, key, id, payload, now, ttl) then flag = 2 end
        countOutcome(k, 'failed')
      elseif kind == 'handBack' then
        -- Not run to the end (shutdown): give the attempt back and put it first in line (of its priority: one
        -- HGET, paid by hand backs only).
        local f = redis.call('HMGET', key, F.priority, F.group)
        handBack(k, key, id, storedPriority(f[1]), f[2] or nil)
      elseif kind == 'throttled' then
        -- Back-pressure (RateLimitedError, a webhook's 429): first in line again (of its priority), attempt given
        -- back, and no job of the queue starts before runAt (the flow gate). The handler's Retry-After is the error
        -- payload.
        -- A job of a group pauses its group only (groups.lua): the other groups and ungrouped jobs go on.
        local f = redis.call('HMGET', key, F.priority, F.group)
        handBack(k, key, id, storedPriority(f[1]), f[2] or nil)
        if f[2] then groupThrottle(k, f[2], runAt) else flowThrottle(k, runAt) end
      end
      out[#out + 1] = flag
    end
  end
  return out
end
