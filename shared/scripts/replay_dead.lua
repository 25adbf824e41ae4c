--[[ replay_dead: puts dead-lettered jobs back in line with the SAME id: state waiting, attempt and stall count
  reset (a fresh set of attempts), finishedAt cleared, the record made persistent again (it carried the dead
  retention), its errors kept (e and the errors history h, so the earlier attempts stay readable), removed from
  the dead index. Counters are not touched: the deaths happened. Only a job that is dead now is replayed, so
  replaying twice enqueues once. At most `chunk` ids per call (the caller splits and loops), a few redis.calls
  each, so one call holds Redis for a few milliseconds (500 ids: about 2 ms inside Redis, median of the
  100,000-job protocol case's calls, timed by its slow log).
  KEYS[1] dead      ZSET  dead-lettered local id -> time of death
  KEYS[2] meta      HASH  `paused` = "1" while paused
  KEYS[3] wait      LIST  waiting local ids (replayed jobs join at the back, LPUSH, like new ones)
  KEYS[4] paused    LIST  waiting local ids while paused
  KEYS[5] prio      ZSET  waiting local ids of another priority than the list's (replayed ones join its back)
  ARGV[1] job key prefix
  ARGV[2] mode: "ids" (ARGV[4..] are local ids) or "all" (the `chunk` oldest deaths)
  ARGV[3] chunk: ids handled at most (all mode)
  ARGV[4..] local ids (ids mode)
  returns { replayed, dead index size after the call, results } where results is, in ids mode, one entry per
          id ("" replayed, else "not_found" | "not_dead"), in all mode flat [id, reason, ...] for skipped ids only
]]
-- @include prelude
-- @include ready_list
-- @include priority
-- @include group_push
local jobPrefix, mode, chunk = ARGV[1], ARGV[2], tonumber(ARGV[3])
local k = { meta = KEYS[2], wait = KEYS[3], paused = KEYS[4], prio = KEYS[5] }

local ids = {}
if mode == 'all' then
  ids = redis.call('ZRANGE', KEYS[1], 0, chunk - 1)
else
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end

local ready, results, forget = {}, {}, {}
local replayed = 0
for _, id in ipairs(ids) do
  local key = jobPrefix .. id
  -- State and priority in one read: a replayed job keeps its priority.
  local f = redis.pcall('HMGET', key, F.state, F.priority, F.group)
  local state = type(f) == 'table' and not f.err and f[1] or nil
  local reason = ''
  if type(state) ~= 'string' then
    -- No record (expired) or not a hash: nothing to replay; the index entry is stale either way.
    reason = 'not_found'
  elseif state ~= 'dead' then
    reason = 'not_dead'
  else
    redis.call('HSET', key, F.state, 'waiting')
    redis.call('HDEL', key, F.attempt, F.stalls, F.finishedAt, F.throttles)
    redis.call('PERSIST', key)
    replayed = replayed + 1
    local priority = storedPriority(f[2])
    if f[3] then
      groupPush(k, f[3], id, priority, false)
    elseif priority then
      pushPriority(k, id, priority, false)
    else
      ready[#ready + 1] = id
    end
  end
  -- Whatever the reason, a dead-index entry that is not a dead job is forgotten (replayed ones included).
  forget[#forget + 1] = id
  if mode == 'all' then
    if reason ~= '' then
      results[#results + 1] = id
      results[#results + 1] = reason
    end
  else
    results[#results + 1] = reason
  end
end
if #forget > 0 then redis.call('ZREM', KEYS[1], unpack(forget)) end
-- One push for the chunk, in the order given: the first id runs first.
if #ready > 0 then redis.call('LPUSH', readyList(k), unpack(ready)) end
wakeForPriority(k)
flushGroups(k)
flushGroupCounts(k)
return { replayed, redis.call('ZCARD', KEYS[1]), results }
