-- @include prelude
-- @include ready_list
-- @include priority
-- @include group_keys
-- Groups: pushing jobs into their groups (enqueue, promotions, hand backs, the admin moves). See groups.lua.
local GROUP_PUSH_CHUNK = 2000

local function groupReady(k)
  if not k.ready then k.ready = readyList(k) end
  return k.ready
end

-- A group's token into the ready list (its state hash already says `ready`): first in line (front: the consuming
-- end, as RPUSH does for a hand back) or last (LPUSH, as for a new job). Counted once, here, for stats.
local function pushToken(k, g, front)
  redis.call(front and 'RPUSH' or 'LPUSH', groupReady(k), GROUP_TOKEN .. g)
  groupCount(k, 0, 1)
  k.groupsTouched = true
end

-- The buffered pushes: one ZADD per group per call, one HSETNX per group per call (+ its token when it had none).
local function flushGroups(k)
  if not k.groupOrder then return end
  for _, g in ipairs(k.groupOrder) do
    local b = k.groupBuf[g]
    if #b > 0 then
      groupCount(k, redis.call('ZADD', groupWaitKey(k, g), unpack(b)), 0)
      if redis.call('HSETNX', groupStateKey(k, g), 'token', 'ready') == 1 then
        redis.call('ZADD', groupsIndexKey(k), 0, g)
        -- First in line for a hand back or a promotion, last for a new job.
        pushToken(k, g, b.front)
      end
    end
  end
  k.groupBuf, k.groupOrder, k.groupPushed = {}, {}, 0
  -- Tells the end-of-script wake-up that something became ready.
  k.groupsTouched = true
end

-- A job of group g becomes ready: into the group's zset at the back of its priority (front: first in line, for a
-- hand back or a promotion). priority: the record's P (grouped jobs always store it).
local function groupPush(k, g, id, priority, front)
  if not k.groupOrder then k.groupBuf, k.groupOrder, k.groupPushed = {}, {}, 0 end
  local seq = nextSeq(k)
  if front then seq = -seq end
  local b = k.groupBuf[g]
  if not b then
    b = { front = front }
    k.groupBuf[g] = b
    k.groupOrder[#k.groupOrder + 1] = g
  end
  b[#b + 1] = string.format('%.0f', (priority or 5) * PRIORITY_BAND + PRIORITY_MID + seq)
  b[#b + 1] = id
  k.groupPushed = k.groupPushed + 1
  if k.groupPushed >= GROUP_PUSH_CHUNK then flushGroups(k) end
end

