-- @include prelude
-- What one script call adds up while it runs and writes once at its end, so counters cost redis.calls per call,
-- not per job: the all-time counters ({q}:stats), the current minute's history ({q}:history:<minute>), the
-- completed index and the trim of the dead index.
-- k: needs k.stats, k.history, k.completed, k.dead; keeps its running totals in k.tally.
local function tallyOf(k)
  if not k.tally then k.tally = { stats = {}, history = {}, completed = {}, deadCutoff = nil } end
  return k.tally
end

local function bump(counts, field, n)
  counts[field] = (counts[field] or 0) + n
end

-- An outcome that both the counters and the history count: 'completed', 'failed' (attempt) or 'dead'.
local function countOutcome(k, field)
  local t = tallyOf(k)
  bump(t.stats, field, 1)
  bump(t.history, field, 1)
end

-- A run time (ms, whole) for the minute's mean and its histogram: bin i (rb<i>, from 0) holds runs of at most
-- HISTORY_BINS_MS[i + 1] ms (and more than the bound before it); rb<#HISTORY_BINS_MS> holds the longer ones.
local function countRun(k, ms)
  local h = tallyOf(k).history
  bump(h, 'runSum', ms)
  bump(h, 'runCount', 1)
  local bin = #HISTORY_BINS_MS
  for i, bound in ipairs(HISTORY_BINS_MS) do
    if ms <= bound then
      bin = i - 1
      break
    end
  end
  bump(h, 'rb' .. bin, 1)
end

-- A job finished as completed: listed in the completed index (one ZADD for the whole call, at its end).
local function indexCompleted(k, id)
  local ids = tallyOf(k).completed
  ids[#ids + 1] = id
end

-- The dead index forgets what its records have forgotten: a death older than its record's retention has no
-- record left. Trimmed once per call at the smallest cutoff seen (never drops an entry whose record may live).
local function trimDeadBefore(k, cutoff)
  local t = tallyOf(k)
  if t.deadCutoff == nil or cutoff < t.deadCutoff then t.deadCutoff = cutoff end
end

-- Adds counts to a hash, and sets `extra` fields ({ field, value, ... }) as they are, in at most 2 calls
-- whatever the number of jobs: HINCRBY when only one counter changes, else HMGET + one HSET (the script is
-- atomic, so read-then-write is safe). Returns how many fields were new (0: the hash existed before).
local function addToHash(key, counts, extra)
  local fields = {}
  for field, n in pairs(counts) do
    if n ~= 0 then fields[#fields + 1] = field end
  end
  if #fields == 1 and #extra == 0 then
    local n = counts[fields[1]]
    if redis.call('HINCRBY', key, fields[1], n) == n then return 1 end
    return 0
  end
  local args = {}
  if #fields > 0 then
    local current = redis.call('HMGET', key, unpack(fields))
    for i, field in ipairs(fields) do
      args[#args + 1] = field
      args[#args + 1] = (tonumber(current[i]) or 0) + counts[field]
    end
  end
  for _, value in ipairs(extra) do args[#args + 1] = value end
  if #args == 0 then return 0 end
  return redis.call('HSET', key, unpack(args))
end

-- Writes what the call added up (now: the call's time, the completed index's score); `waiting` (optional): the ready list's depth, set (not added) in the history.
-- Cost per call: stats 0-2 calls, history 0-2 (+1 PEXPIRE only when the minute's hash gets a new field, i.e.
-- about once a minute: every writer of a history hash goes through here, so an existing field means the hash
-- already has its expiry), completed index 2 (one ZADD, one ZREMRANGEBYRANK), dead index 1 when someone died.
local function flushTally(k, now, waiting)
  local t = tallyOf(k)
  addToHash(k.stats, t.stats, {})
  local extra = {}
  if waiting then extra = { 'waiting', waiting } end
  if addToHash(k.history, t.history, extra) > 0 then redis.call('PEXPIRE', k.history, HISTORY_TTL_MS) end
  if #t.completed > 0 then
    -- ZADD takes every pair at once; chunks keep unpack within Lua's stack limit for very large batches.
    for first = 1, #t.completed, 500 do
      local args = {}
      for i = first, math.min(first + 499, #t.completed) do
        args[#args + 1] = now
        args[#args + 1] = t.completed[i]
      end
      redis.call('ZADD', k.completed, unpack(args))
    end
    -- Keep the newest COMPLETED_INDEX_MAX: O(log n) when there is nothing to drop.
    redis.call('ZREMRANGEBYRANK', k.completed, 0, -(COMPLETED_INDEX_MAX + 1))
  end
  if t.deadCutoff then redis.call('ZREMRANGEBYSCORE', k.dead, '-inf', t.deadCutoff) end
  k.tally = nil
end
