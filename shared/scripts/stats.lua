--[[ stats: one queue's counts without scanning jobs.
  KEYS[1] wait      LIST  waiting local ids
  KEYS[2] paused    LIST  waiting local ids while the queue is paused (counted as waiting)
  KEYS[3] meta      HASH  queue settings (`paused`)
  KEYS[4] delayed   ZSET  delayed local ids
  KEYS[5] dead      ZSET  dead-lettered local ids
  KEYS[6] stats     HASH  counters (completed, failed, dead, stalled)
  KEYS[7] workers   ZSET  registered workers
  KEYS[8] prio      ZSET  waiting local ids of another priority than the list's (counted as waiting)
  ARGV[1] in-flight list prefix
  returns { waiting, delayed, active, deadListed, workers, counters flat [field, value, ...], paused (1/0) }
]]
-- @include prelude
-- Wake markers are not jobs. They are pushed on the consuming end and taken by the next claim, so a bounded
-- scan of the last 100 entries finds them (O(100) per stats call, never O(list)).
local function jobsIn(list)
  return redis.call('LLEN', list) - #redis.call('LPOS', list, MARKER, 'RANK', -1, 'COUNT', 0, 'MAXLEN', 100)
end
local active = 0
local workers = redis.call('ZRANGE', KEYS[7], 0, -1)
for _, worker in ipairs(workers) do
  active = active + redis.call('LLEN', ARGV[1] .. worker)
end
local paused = 0
local m = redis.call('HMGET', KEYS[3], 'paused', 'groupWaiting', 'groupTokens')
if m[1] == '1' then paused = 1 end
-- Jobs of groups wait in their groups' zsets, counted in meta; each group with waiting jobs has one token in the
-- lists, which is not a job (groups.lua).
local grouped = (tonumber(m[2] or '0') or 0) - (tonumber(m[3] or '0') or 0)
return {
  math.max(0, jobsIn(KEYS[1]) + jobsIn(KEYS[2]) + redis.call('ZCARD', KEYS[8]) + grouped),
  redis.call('ZCARD', KEYS[4]),
  active,
  redis.call('ZCARD', KEYS[5]),
  #workers,
  redis.call('HGETALL', KEYS[6]),
  paused,
}
