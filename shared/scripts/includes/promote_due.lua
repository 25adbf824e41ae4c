-- Moves delayed jobs whose runAt has come onto the consuming end of the wait list (at most 1000 per call, so
-- one script never blocks Redis for long), then records and returns the next runAt still pending (-1: none).
-- Whoever runs this script schedules a wake-up for that time, which is why it is written to the wake key.
local function promoteDue(waitKey, delayedKey, wakeKey, jobPrefix, now)
  local due = redis.call('ZRANGEBYSCORE', delayedKey, '-inf', now, 'LIMIT', 0, 1000)
  if #due > 0 then
    redis.call('ZREM', delayedKey, unpack(due))
    for _, id in ipairs(due) do
      redis.call('HSET', jobPrefix .. id, 's', 'waiting')
      redis.call('RPUSH', waitKey, id)
    end
  end
  local head = redis.call('ZRANGE', delayedKey, 0, 0, 'WITHSCORES')
  if head[2] then
    redis.call('SET', wakeKey, head[2])
    return tonumber(head[2])
  end
  redis.call('DEL', wakeKey)
  return -1
end
