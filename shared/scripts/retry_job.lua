--[[ retry_job: an operator's "run it again" for one dead or cancelled job: back to waiting with the same id, at
  the back of the line like a new job, attempt and stall count reset, finishedAt cleared, the record persistent
  again (it carried its retention), its errors kept (e, h), removed from its listing index. Any other state is
  reported, not changed.
  KEYS[1] job       HASH  the job record
  KEYS[2] dead      ZSET  dead-lettered local ids
  KEYS[3] cancelled ZSET  recently cancelled local ids
  KEYS[4] meta      HASH  `paused` = "1" while paused
  KEYS[5] wait      LIST  waiting local ids
  KEYS[6] paused    LIST  waiting local ids while paused
  KEYS[7] prio      ZSET  waiting local ids of another priority than the list's (at the back of its priority)
  ARGV[1] local id
  returns { outcome, state }: "moved" with the new state | "conflict" with the current state | "missing"
]]
-- @include prelude
-- @include put_in_line
local f = redis.pcall('HMGET', KEYS[1], F.state, F.priority, F.group)
local state = type(f) == 'table' and not f.err and f[1] or nil
if type(state) ~= 'string' then return { 'missing', '' } end
if state == 'dead' then
  redis.call('ZREM', KEYS[2], ARGV[1])
elseif state == 'cancelled' then
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  return { 'conflict', state }
end
redis.call('HSET', KEYS[1], F.state, 'waiting')
redis.call('HDEL', KEYS[1], F.attempt, F.stalls, F.finishedAt, F.throttles)
redis.call('PERSIST', KEYS[1])
local k = { meta = KEYS[4], wait = KEYS[5], paused = KEYS[6], prio = KEYS[7] }
putInLine(k, ARGV[1], storedPriority(f[2]), false, f[3] or nil)
return { 'moved', 'waiting' }
