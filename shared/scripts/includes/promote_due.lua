-- @include prelude
-- Moves delayed jobs whose runAt has come onto the consuming end of the ready list (wait, or paused while the
-- queue is paused; at most 1000 per call, so one script never blocks Redis for long), then records and returns
-- the next runAt still pending (-1: none). Whoever runs this script schedules a wake-up for that time, which is
-- why it is written to the wake key.
-- k: needs k.delayed, k.wake and k.ready (the script's readyList(k), looked up once per call).
local function promoteDue(k, jobPrefix, now)
  local due = redis.call('ZRANGEBYSCORE', k.delayed, '-inf', now, 'LIMIT', 0, 1000)
  if #due > 0 then
    redis.call('ZREM', k.delayed, unpack(due))
    for _, id in ipairs(due) do
      redis.call('HSET', jobPrefix .. id, F.state, 'waiting')
    end
    -- One RPUSH for the batch (same order as one push per id: the last promoted is next in line).
    redis.call('RPUSH', k.ready, unpack(due))
  end
  local head = redis.call('ZRANGE', k.delayed, 0, 0, 'WITHSCORES')
  if head[2] then
    redis.call('SET', k.wake, head[2])
    return tonumber(head[2])
  end
  redis.call('DEL', k.wake)
  return -1
end
