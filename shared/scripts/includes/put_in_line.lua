-- @include ready_list
-- @include priority
-- @include group_push
-- Puts one waiting job in line, by its priority (`priority`: its record's P, see storedPriority; nil = the list
-- priority): at the front (next to run: the consuming end of the ready list, first in its priority) or at the
-- back (like a new job). A job of another priority also wakes a blocked worker (wakeForPriority). A job of a
-- group (`group`: its record's g) goes back into its group instead (groups.lua), in the same place by priority.
-- k: needs k.meta, k.wait, k.paused, k.prio.
local function putInLine(k, id, priority, front, group)
  if group then
    groupPush(k, group, id, priority, front)
    flushGroups(k)
    flushGroupCounts(k)
  elseif priority then
    pushPriority(k, id, priority, front)
    wakeForPriority(k)
  elseif front then
    redis.call('RPUSH', readyList(k), id)
  else
    redis.call('LPUSH', readyList(k), id)
  end
end
