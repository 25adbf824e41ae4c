-- @include prelude
-- @include priority
-- @include groups
-- Moves delayed jobs whose runAt has come onto the consuming end of the ready list (wait, or paused while the
-- queue is paused; at most 1000 per call, so one script never blocks Redis for long) — or, for a job of another
-- priority (its delayed score says which, priority.lua), to the front of its priority in the zset — then records
-- and returns the next runAt still pending (-1: none). Whoever runs this script schedules a wake-up for that
-- time, which is why it is written to the wake key.
-- k: needs k.delayed, k.wake, k.prio, k.meta and k.ready (the script's readyList(k), looked up once per call).
-- The priority a delayed score carries (priority.lua, delayedScore), nil for the list priority.
local function priorityOfDelayed(score)
  local s = tonumber(score)
  local frac = s - math.floor(s)
  if frac > 0 then return math.floor(frac * 16 + 0.5) end
  return nil
end

local function promoteDue(k, jobPrefix, now)
  local due = redis.call('ZRANGEBYSCORE', k.delayed, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1000)
  if #due > 0 then
    local ids, listed = {}, {}
    -- A queue that has ever had a job of a group (meta `grouped`, set by enqueue) reads each promoted job's group:
    -- 1 HGET per call + 1 HGET per promoted job there; other queues pay nothing.
    local grouped = redis.call('HGET', k.meta, 'grouped') == '1'
    for i = 1, #due, 2 do
      local id = due[i]
      ids[#ids + 1] = id
      redis.call('HSET', jobPrefix .. id, F.state, 'waiting')
      local priority = priorityOfDelayed(due[i + 1])
      local group = grouped and redis.call('HGET', jobPrefix .. id, F.group)
      if group then
        groupPush(k, group, id, priority, true)
      elseif priority then
        pushPriority(k, id, priority, true)
      else
        listed[#listed + 1] = id
      end
    end
    redis.call('ZREM', k.delayed, unpack(ids))
    -- One RPUSH for the batch (same order as one push per id: the last promoted is next in line).
    if #listed > 0 then redis.call('RPUSH', k.ready, unpack(listed)) end
    flushPriority(k)
    flushGroups(k)
    flushGroupCounts(k)
  end
  local head = redis.call('ZRANGE', k.delayed, 0, 0, 'WITHSCORES')
  if head[2] then
    -- The ms a worker must wake at: the job's runAt, the whole ms at or after its score.
    local due = math.ceil(tonumber(head[2]))
    redis.call('SET', k.wake, due)
    return due
  end
  redis.call('DEL', k.wake)
  return -1
end
