--[[ cancel: cancels a job that has not started (waiting or delayed). Anything else is reported, not changed.
  KEYS[1] job       HASH  the job record
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] delayed   ZSET  local id -> runAt
  KEYS[4] paused    LIST  waiting local ids while the queue is paused
  KEYS[5] cancelled ZSET  local id -> cancelledAt, the newest cancellations (listing)
  KEYS[6] prio      ZSET  waiting local ids of another priority than the list's
  KEYS[7] fresh     HASH  local id -> packed record of a waiting job never claimed: cancelling one writes its
          record (cancelled) from the packed form
  ARGV[1] local id
  ARGV[2] now (ms)
  ARGV[3] record retention after cancelling (ms)
  returns { outcome, state }: outcome "cancelled" | "conflict" | "missing"; state before the call
]]
-- @include prelude
-- @include group_keys
-- @include fresh
local f = redis.call('HMGET', KEYS[1], F.state, F.priority, F.group)
local state = f[1]
if not state then
  -- A fresh job: it waits in the ready list with its record packed; it gets a record of its own to be cancelled in.
  local packed = redis.call('HGET', KEYS[7], ARGV[1])
  if not packed then return { 'missing', '' } end
  local flat = freshRecord(packed)
  if #flat == 0 then return { 'missing', '' } end
  redis.call('HDEL', KEYS[7], ARGV[1])
  redis.call('HSET', KEYS[1], unpack(flat))
  state = 'waiting'
end
if state == 'waiting' and f[3] then
  -- A job of a group waits in its group's zset (O(log n)); the group's token stays until a claim finds it empty.
  local k = { wait = KEYS[2] }
  groupRemove(k, f[3], ARGV[1])
  flushGroupCounts(k)
elseif state == 'waiting' and f[2] then
  -- Another priority than the list's: it waits in prio (O(log n)).
  redis.call('ZREM', KEYS[6], ARGV[1])
elseif state == 'waiting' then
  -- A waiting job sits in wait, or in paused while the queue is paused (LREM is O(list) either way).
  if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 0 then redis.call('LREM', KEYS[4], 1, ARGV[1]) end
elseif state == 'delayed' then
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  return { 'conflict', state }
end
redis.call('HSET', KEYS[1], F.state, 'cancelled', F.finishedAt, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
-- Listed for operators, newest COMPLETED_INDEX_MAX kept (the trim is O(log n) when nothing is dropped).
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -(COMPLETED_INDEX_MAX + 1))
return { 'cancelled', state }
