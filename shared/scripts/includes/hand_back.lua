-- @include prelude
-- @include ready_list
-- @include priority
-- @include groups
-- Puts an entry back in line at the consuming end of the ready list (wait, or paused while the queue is
-- paused), and "hand back": the same for a job that was active but did not run to the end (shutdown, recovery
-- of a lost reply, a reaped lease), giving its attempt back so the run it did not finish does not count. A job of
-- another priority (`priority`: its record's P, see storedPriority) goes to the front of its priority instead;
-- the caller then ends with wakeForPriority(k).
-- k: needs k.meta, k.wait, k.paused, k.prio; the ready list is looked up once per call and kept in k.ready.
local function readyOf(k)
  if not k.ready then k.ready = readyList(k) end
  return k.ready
end

local function pushReady(k, entry)
  redis.call('RPUSH', readyOf(k), entry)
end

-- group: the record's g. A job of a group goes back to the front of its group's zset and gives its group slot back
-- (groups.lua); the caller then ends with flushGroups(k) and flushGroupCounts(k).
local function handBack(k, key, entry, priority, group)
  redis.call('HSET', key, F.state, 'waiting')
  redis.call('HINCRBY', key, F.attempt, -1)
  if group then
    groupPush(k, group, entry, priority, true)
    groupRelease(k, group)
  elseif priority then
    pushPriority(k, entry, priority, true)
  else
    redis.call('RPUSH', readyOf(k), entry)
  end
end
