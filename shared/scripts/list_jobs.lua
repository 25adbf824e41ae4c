--[[ list_jobs: one page of a queue's jobs in one state, with their records, resuming after a cursor. Cost is
  O(page) (times log n for the sorted sets), never an offset scan, however deep the state:
  - waiting: in run order: the prio jobs more urgent than the list priority (by rank, cursor "p<score>" and id),
    then the ready list (paused list while paused) from its RIGHT (consuming) end, then the other prio jobs, then
    the jobs of groups (groups.lua), group by group in key order, each in its run order (cursor "g<group>" and
    the offset in its zset; a group's jobs are not in the ready list, only its token, which is skipped). The
    cursor holds how many entries from that end were listed and the last one; a list index counted from the
    near end is a seek over whole quicklist nodes (hundreds of ids each), not a scan. Workers consume from that
    end meanwhile, so the last id is looked for within BULK_CHUNK places either side of where it was; if it is
    gone (a worker took it, and so every entry before it), listing goes on from the head of the line.
    Measured once (redis 7.0.15, 1,000,000 waiting, pages of 500, machine at load 17): 0.9 ms per call at the
    head, 1.3-1.9 ms at 500,000 and 999,000 deep (window check included): the depth costs under a millisecond.
  - delayed: by runAt, then id. completed, cancelled, dead: newest first (score, then id, descending). The
    cursor is the last (score, id); the page resumes strictly after it, found with ZRANK when the id is still
    there, else by ZCOUNT plus a binary search among equal scores (O(log² n)).
  - active: worker by worker (sorted by id), each in-flight list from its oldest claim.
  Entries whose record is gone or no longer in that state are skipped (a listing index forgets expired records
  here, lazily); markers and other non-jobs are skipped. A page also ends early, with a cursor, once the records
  it holds pass `maxBytes` (at least one job per page), so 500 large payloads never make one huge reply.
  KEYS[1] meta      HASH  `paused` = "1" while paused
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] paused    LIST  waiting local ids while paused
  KEYS[4] delayed   ZSET  local id -> runAt
  KEYS[5] workers   ZSET  worker id -> lease expiry
  KEYS[6] dead      ZSET  local id -> time of death
  KEYS[7] completed ZSET  local id -> finishedAt
  KEYS[8] cancelled ZSET  local id -> cancelledAt
  KEYS[9] prio      ZSET  waiting local ids of another priority than the list's, in run order
  KEYS[10] fresh    HASH  local id -> packed record of a waiting job never claimed (includes/fresh.lua)
  ARGV[1] job key prefix
  ARGV[2] in-flight list prefix
  ARGV[3] state
  ARGV[4] limit (1..500)
  ARGV[5] cursor part a ("" on the first page): offset (waiting), score (zsets), worker id (active)
  ARGV[6] cursor part b: last id (waiting, zsets), offset in that worker's list (active)
  ARGV[7] maxBytes: the page ends after the record that takes its field values past this size
  ARGV[8] the queue's list priority (waiting only; absent: 5)
  returns { more (1/0), next cursor a, next cursor b, localId, record flat [field, value, ...], ... }
]]
-- @include prelude
-- @include priority
-- @include group_keys
-- @include fresh
local jobPrefix, activePrefix, state, limit = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local ca, cb = ARGV[5], ARGV[6]
local maxBytes, bytes = tonumber(ARGV[7]), 0
local listPriority = tonumber(ARGV[8] or '') or 5
local WINDOW = 500
local out = { 0, '', '' }

-- Adds the job if its record exists and is in the listed state; returns false when the record is gone.
local function add(id)
  local flat = redis.pcall('HGETALL', jobPrefix .. id)
  if type(flat) == 'table' and not flat.err and #flat == 0 and state == 'waiting' then
    local packed = redis.call('HGET', KEYS[10], id)
    if packed then flat = freshRecord(packed) end
  end
  if type(flat) ~= 'table' or flat.err or #flat == 0 then return false end
  for i = 1, #flat, 2 do
    if flat[i] == F.state then
      if flat[i + 1] == state then
        out[#out + 1] = id
        out[#out + 1] = flat
        for j = 2, #flat, 2 do bytes = bytes + #flat[j] end
      end
      break
    end
  end
  return true
end

local function full()
  return bytes >= maxBytes
end

-- The ready list's part of the waiting listing, from `offset` entries off its consuming end (the cursor's id
-- re-found near it first). Returns the room left when the list ended, or nil when the page ended (cursor set).
local function listWaitList(room)
  local list = KEYS[2]
  if redis.call('HGET', KEYS[1], 'paused') == '1' then list = KEYS[3] end
  local offset = tonumber(ca) or 0
  if cb ~= '' and offset > 0 then
    -- Tail indices offset-1-WINDOW .. offset-1+WINDOW, as LRANGE's negative indices (left to right).
    local lo = math.max(0, offset - 1 - WINDOW)
    local hi = offset - 1 + WINDOW
    local window = redis.call('LRANGE', list, -(hi + 1), -(lo + 1))
    local found, best = nil, nil
    for j = 1, #window do
      if window[j] == cb then
        local tailIndex = lo + (#window - j)
        local distance = math.abs(tailIndex - (offset - 1))
        if not best or distance < best then found, best = tailIndex, distance end
      end
    end
    if found then offset = found + 1 else offset = 0 end
  end
  local page = redis.call('LRANGE', list, -(offset + room), -(offset + 1))
  for j = #page, 1, -1 do
    -- Neither a marker nor a group's token (groups.lua) is a job.
    if page[j] ~= MARKER and string.sub(page[j], 1, 1) ~= GROUP_TOKEN then add(page[j]) end
    if full() and j > 1 then
      out[1], out[2], out[3] = 1, tostring(offset + #page - j + 1), page[j]
      return nil
    end
  end
  -- A full page (or full bytes) ends here; the next one resumes in the list, finds it ended, goes on with prio.
  if #page == room or (full() and #page > 0) then
    out[1], out[2], out[3] = 1, tostring(offset + #page), page[1]
    return nil
  end
  return room - #page
end

-- The prio zset's part from `rank`, while scores stay below `below` (nil: to its end). Returns the room left
-- when the part ended, or nil when the page ended (cursor "p<score>", id).
local function listPrio(rank, below, room)
  local page = redis.call('ZRANGE', KEYS[9], rank, rank + room - 1, 'WITHSCORES')
  local n = 0
  for i = 1, #page, 2 do
    if below and tonumber(page[i + 1]) >= below then return room - n end
    add(page[i])
    n = n + 1
    if full() or n == room then
      out[1], out[2], out[3] = 1, 'p' .. page[i + 1], page[i]
      return nil
    end
  end
  return room - n
end

local function memberAt(key, rank)
  return redis.call('ZRANGE', key, rank, rank)[1]
end

-- First rank in [lo, hi) whose member satisfies a monotone predicate (hi when none).
local function firstRank(key, lo, hi, pred)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if pred(memberAt(key, mid)) then hi = mid else lo = mid + 1 end
  end
  return lo
end

-- Rank to start at, strictly after (score, id) in the set's listing order (score "" : from the start).
local function startRank(key, descending, ca, cb)
  if ca == '' then return 0 end
  local score = tonumber(ca)
  local current = redis.call('ZSCORE', key, cb)
  if current and tonumber(current) == score then
    if descending then return redis.call('ZREVRANK', key, cb) + 1 end
    return redis.call('ZRANK', key, cb) + 1
  end
  -- Gone (or moved): the members with this score form ranks [lo, hi) in ascending member order.
  local lo = redis.call('ZCOUNT', key, '-inf', '(' .. ca)
  local hi = redis.call('ZCOUNT', key, '-inf', ca)
  if descending then
    local above = redis.call('ZCARD', key) - hi
    return above + (hi - firstRank(key, lo, hi, function(m) return m >= cb end))
  end
  return firstRank(key, lo, hi, function(m) return m > cb end)
end

local function listSorted(key, descending, forget)
  local start = startRank(key, descending, ca, cb)
  local page
  if descending then
    page = redis.call('ZREVRANGE', key, start, start + limit - 1, 'WITHSCORES')
  else
    page = redis.call('ZRANGE', key, start, start + limit - 1, 'WITHSCORES')
  end
  local gone, last = {}, #page - 1
  for i = 1, #page, 2 do
    if not add(page[i]) then gone[#gone + 1] = page[i] end
    if full() and i < #page - 1 then
      last = i
      break
    end
  end
  if forget and #gone > 0 then redis.call('ZREM', key, unpack(gone)) end
  if last < #page - 1 or #page == limit * 2 then
    out[1], out[2], out[3] = 1, page[last + 1], page[last]
  end
end

-- The jobs of groups, from group `group` ("" = the first) at `offset` in its zset: at most 100 groups per call.
local function listGroups(group, offset, room)
  local gk = { meta = KEYS[1] }
  local groups
  if group == '' then
    groups = redis.call('ZRANGE', groupsIndexKey(gk), 0, 99)
  else
    groups = redis.call('ZRANGEBYLEX', groupsIndexKey(gk), '[' .. group, '+', 'LIMIT', 0, 100)
  end
  for gi, g in ipairs(groups) do
    if g ~= group then offset = 0 end
    local ids = redis.call('ZRANGE', groupWaitKey(gk, g), offset, offset + room - 1)
    for j, id in ipairs(ids) do
      add(id)
      room = room - 1
      if room == 0 or full() then
        out[1], out[2], out[3] = 1, 'g' .. g, tostring(offset + j)
        return
      end
    end
    if gi == 100 then
      out[1], out[2], out[3] = 1, 'g' .. g, tostring(offset + #ids)
      return
    end
  end
end

-- Waiting, in run order: prio jobs more urgent than the list priority, the ready list, then the other prio jobs
-- (claim's order, claim.lua). The cursor says which part it is in: "p<score>" (prio) or an offset (the list).
local function listWaiting()
  local boundary = listPriority * PRIORITY_BAND
  local room, rank, inList = limit, 0, false
  if string.sub(ca, 1, 1) == 'g' then
    listGroups(string.sub(ca, 2), tonumber(cb) or 0, room)
    return
  end
  if string.sub(ca, 1, 1) == 'p' then
    local score = string.sub(ca, 2)
    rank = startRank(KEYS[9], false, score, cb)
    if tonumber(score) >= boundary then
      room = listPrio(rank, nil, room)
      if room and room > 0 then listGroups('', 0, room) end
      return
    end
  elseif ca ~= '' then
    inList = true
  end
  if not inList then
    room = listPrio(rank, boundary, room)
    if not room then return end
    ca, cb = '', ''
  end
  room = listWaitList(room)
  if not room then return end
  room = listPrio(redis.call('ZCOUNT', KEYS[9], '-inf', '(' .. string.format('%.0f', boundary)), nil, room)
  if not room or room == 0 then return end
  listGroups('', 0, room)
end

local function listActive()
  local workers = redis.call('ZRANGE', KEYS[5], 0, -1)
  table.sort(workers)
  local listed = 0
  for _, worker in ipairs(workers) do
    if ca == '' or worker >= ca then
      local skip = 0
      if worker == ca then skip = tonumber(cb) or 0 end
      local entries = redis.call('LRANGE', activePrefix .. worker, 0, -1)
      -- The right end holds the oldest claim.
      for j = #entries - skip, 1, -1 do
        if listed == limit then
          out[1], out[2], out[3] = 1, worker, tostring(#entries - j)
          return
        end
        listed = listed + 1
        if entries[j] ~= MARKER and string.sub(entries[j], 1, 1) ~= GROUP_TOKEN then add(entries[j]) end
        if full() then
          out[1], out[2], out[3] = 1, worker, tostring(#entries - j + 1)
          return
        end
      end
    end
  end
end

if state == 'waiting' then
  listWaiting()
elseif state == 'delayed' then
  listSorted(KEYS[4], false, false)
elseif state == 'dead' then
  listSorted(KEYS[6], true, true)
elseif state == 'completed' then
  listSorted(KEYS[7], true, true)
elseif state == 'cancelled' then
  listSorted(KEYS[8], true, true)
elseif state == 'active' then
  listActive()
end
return out
