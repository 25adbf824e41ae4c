-- Groups (PROTOCOL.md "Groups"; the design is in includes/groups.lua): the key names, derived from k.meta (or
-- k.wait), the meta counters, and taking a waiting job out of its group. Split from groups.lua so a script that
-- needs only these (cancel, list_jobs) does not carry the rest in its body: the edge sends it with every EVAL.
local function groupBase(k)
  if not k.groupBase then
    local any = k.meta or k.wait
    k.groupBase = string.sub(any, 1, #any - 4)
  end
  return k.groupBase
end
local function groupWaitKey(k, g) return groupBase(k) .. 'gw:' .. g end
local function groupStateKey(k, g) return groupBase(k) .. 'gs:' .. g end
local function groupRateKey(k, g) return groupBase(k) .. 'gr:' .. g end
local function groupsLaterKey(k) return groupBase(k) .. 'groups:later' end
-- Groups that have a token (waiting jobs), all scored 0 so ZRANGEBYLEX pages through them: for the admin listing
-- of waiting jobs only (list_jobs.lua). 1 ZADD when a group gets its token, 1 ZREM when it drops it.
local function groupsIndexKey(k) return groupBase(k) .. 'groups' end

-- Counts added up per call, written once (flushGroupCounts): 0-2 HINCRBY per call, none per job.
local function groupCount(k, waiting, tokens)
  k.groupWaiting = (k.groupWaiting or 0) + waiting
  k.groupTokens = (k.groupTokens or 0) + tokens
end
local function flushGroupCounts(k)
  local meta = groupBase(k) .. 'meta'
  if k.groupWaiting and k.groupWaiting ~= 0 then redis.call('HINCRBY', meta, 'groupWaiting', k.groupWaiting) end
  if k.groupTokens and k.groupTokens ~= 0 then redis.call('HINCRBY', meta, 'groupTokens', k.groupTokens) end
  k.groupWaiting, k.groupTokens = 0, 0
end

-- A waiting job of group g leaves its zset (cancel, debounce). Its token stays: the claim that takes it finds the
-- group empty and drops it.
local function groupRemove(k, g, id)
  groupCount(k, -redis.call('ZREM', groupWaitKey(k, g), id), 0)
end

-- Grouped waiting jobs less the tokens in the lists (the meta counters; flushGroupCounts first): what a waiting
-- depth read from the lists (LLEN counts each token as one entry) must be corrected by. 1 HMGET.
local function groupWaitingCorrection(k)
  local m = redis.call('HMGET', groupBase(k) .. 'meta', 'groupWaiting', 'groupTokens')
  return (tonumber(m[1] or '0') or 0) - (tonumber(m[2] or '0') or 0)
end
