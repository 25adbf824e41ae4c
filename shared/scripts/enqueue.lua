--[[ enqueue: adds a batch of jobs in one atomic call. Idempotent twice over: a job id that already exists is
  reported, not re-created (so a request re-sent by the REST client after a network error adds nothing), and an
  idempotency key maps to one job id for its TTL. A dedupe key maps to the job holding it while that job has not
  started (waiting or delayed, attempt 0): another enqueue with the key reports that job instead of creating one,
  and with a debounce it also replaces the job's payload and moves its run time to now + debounce. Whether the
  holder has started is read from its record, so claims pay nothing for dedupe; the key just expires.
  KEYS[1] wait      LIST  waiting local ids (LPUSH here; workers take from the right)
  KEYS[2] delayed   ZSET  local id -> runAt (ms)
  KEYS[3] wake      STRING earliest runAt a worker knows about
  KEYS[4] meta      HASH  queue settings (`paused`)
  KEYS[5] paused    LIST  waiting local ids while the queue is paused (LPUSH here instead of wait then)
  KEYS[6] prio      ZSET  waiting local ids of a priority other than the list priority (priority.lua)
  KEYS[7] fresh     HASH  local id -> packed record of a waiting job never claimed (includes/fresh.lua): where a
          job that goes straight to the wait list is written, unless it has a dedupe key (a debounce rewrites
          its holder's record)
  ARGV[1] now (ms)
  ARGV[2] job key prefix          ("offload:{q}:job:")
  ARGV[3] idempotency key prefix  ("offload:{q}:idem:")
  ARGV[4] idempotency TTL (ms; also how long a dedupe key is kept)
  ARGV[5] number of jobs N
  ARGV[6] maxAttempts of a job in the short form
  ARGV[7] dedupe key prefix       ("offload:{q}:dedupe:")
  ARGV[8..] N groups, one per job: local id, data JSON, form, and then
            form "":  nothing (the short form: the queue's own name, ARGV[6] attempts, no options, run now, no
                      idempotency or dedupe key; 3 arguments a job, which is most jobs)
            form "1".."10": the short form with that priority (not the list priority), still 3 arguments
            form "+": name ("" when it is the queue's own name: not stored, it is implied), maxAttempts, options
                      JSON ("" = none), runAt (ms, 0 = now), idempotency key ("" = none), payload fingerprint,
                      dedupe key ("" = none), debounce (ms, 0 = none; only with a dedupe key), priority (1-10,
                      0 = the queue's list priority: the job goes to the wait list and its record has no P)
            form "*": the "+" form followed by one more argument, the job's group (groups.lua): the job waits in its
                      group's zset, its record has g (and always P: the priority is given, never 0), and the
                      group's token joins the ready list if the group had none
  returns N groups of 3: local id, state, outcome ("created" | "existing" | "conflict" | "skipped")
  All or nothing: when any job's idempotency key conflicts with a key stored before the call, the call writes
  nothing; the conflicting jobs report "conflict" (with the id their key points at), the others "existing" (their
  key matched) or "skipped" (state "expired": no record behind the id, none was written). (One key given twice
  with two payloads in the same call is the exception: the first job is created, the second refused, as two calls
  in a row would do; no caller sends that: a keyed batch's keys are distinct.)
]]
-- @include prelude
-- @include ready_list
-- @include priority
-- @include group_push
-- @include fresh_pack
-- @include fresh_state
local now = tonumber(ARGV[1])
local jobPrefix, idemPrefix, idemTtl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local defaultAttempts, dedupePrefix = ARGV[6], ARGV[7]
local CHUNK = 1000 -- ids per EXISTS / LPUSH call: unpack() stays far inside Lua's C stack limit (8,000)
local out = {}
-- Where waiting ids and the marker go: wait, or the paused list while the queue is paused (a paused queue still
-- accepts jobs). One HGET per call, not per job.
local k = { meta = KEYS[4], wait = KEYS[1], paused = KEYS[5], prio = KEYS[6] }
local fresh = KEYS[7]
local readyKey = readyList(k)
k.ready = readyKey

-- Waiting ids are pushed in one LPUSH per chunk, not one per job: LPUSH a b leaves the list as LPUSH a; LPUSH b
-- would, and nothing in this script reads the wait list in between.
local ready = {}
local function flushReady()
  if #ready > 0 then
    redis.call('LPUSH', readyKey, unpack(ready))
    ready = {}
  end
end

-- Where each job's group starts: groups are 3 or 12 arguments long (every argument is paid twice, by the producer
-- encoding it and by Redis parsing it: the short form is 9 fewer a job).
local bases = {}
local at = 8
for i = 0, n - 1 do
  bases[i] = at
  local form = ARGV[at + 2]
  if form == '+' then at = at + 12 elseif form == '*' then at = at + 13 else at = at + 3 end
end

-- One EXISTS per chunk of ids instead of an HGET per job: when none exists (every call except a re-sent one),
-- no job needs a check of its own. Costs a table of the call's job keys. Fresh jobs of the call's ids: one HMGET
-- per chunk (freshHere[i] = true).
local jobKeys = {}
local anyExists = false
local freshHere = {}
for first = 0, n - 1, CHUNK do
  local chunk, ids = {}, {}
  for i = first, math.min(n, first + CHUNK) - 1 do
    jobKeys[i] = jobPrefix .. ARGV[bases[i]]
    chunk[#chunk + 1] = jobKeys[i]
    ids[#ids + 1] = ARGV[bases[i]]
  end
  if not anyExists and redis.call('EXISTS', unpack(chunk)) > 0 then anyExists = true end
  local packed = redis.call('HMGET', fresh, unpack(ids))
  for j = 1, #ids do
    if packed[j] then freshHere[first + j - 1] = true end
  end
end
-- Ids created by this call: the same id twice in one call is one job (the second is reported as existing).
local createdHere = {}

local function report(id, state, outcome)
  out[#out + 1] = id
  out[#out + 1] = state
  out[#out + 1] = outcome
end

-- Every idempotency key of the call is read BEFORE anything is written, one MGET per chunk (instead of a GET
-- per job in the loop below), so that a conflict anywhere writes nothing at all. A keyed batch is N jobs with
-- the keys `<key>#<index>` and one fingerprint of the whole body (see prepareBatch in ops/enqueue.ts): a
-- re-sent batch finds all of them and gets its original ids back; a different body, of any length, conflicts
-- on index 0 and creates none of its items. Costs a table of the call's keyed jobs; calls without keys (most)
-- read nothing here.
local function parseKeyed(value)
  local sep = string.find(value, ' ', 1, true)
  return string.sub(value, 1, sep - 1), string.sub(value, sep + 1)
end
local keyed, stored = {}, {}
for i = 0, n - 1 do
  local form = ARGV[bases[i] + 2]
  if (form == '+' or form == '*') and ARGV[bases[i] + 7] ~= '' then keyed[#keyed + 1] = i end
end
local conflicted = false
for first = 1, #keyed, CHUNK do
  local names = {}
  for j = first, math.min(#keyed, first + CHUNK - 1) do names[#names + 1] = idemPrefix .. ARGV[bases[keyed[j]] + 7] end
  local values = redis.call('MGET', unpack(names))
  for j = first, math.min(#keyed, first + CHUNK - 1) do
    local i, value = keyed[j], values[j - first + 1]
    if value then
      stored[i] = value
      local _, fingerprint = parseKeyed(value)
      if fingerprint ~= ARGV[bases[i] + 8] then conflicted = true end
    end
  end
end
if conflicted then
  for i = 0, n - 1 do
    local value = stored[i]
    if value then
      local existingId, fingerprint = parseKeyed(value)
      local state = jobState(fresh, jobPrefix .. existingId, existingId) or 'expired'
      report(existingId, state, fingerprint == ARGV[bases[i] + 8] and 'existing' or 'conflict')
    else
      report(ARGV[bases[i]], 'expired', 'skipped')
    end
  end
  return out
end
-- Keys set by this call: the same key twice in one call maps to the first job (as two calls would).
local keyedHere = {}

-- Wakes a blocked worker when a delayed job is due before anything a worker already waits for: the marker lands
-- in the ready list, a worker's blocking pop returns it, and its claim schedules the promotion.
local function wakeFor(runAt)
  local wake = tonumber(redis.call('GET', KEYS[3]) or '')
  if wake == nil or runAt < wake then
    redis.call('SET', KEYS[3], runAt)
    redis.call('RPUSH', readyKey, MARKER)
  end
end

-- Returns the state it wrote (not read back: an HGET per job was a quarter of this script's commands).
-- priority: nil for the list priority (wait list, no P field), else 1-10 (the priority zset, P stored).
-- packable: the job may be fresh if it goes straight to the wait list (it has no dedupe key).
local function create(key, id, name, data, maxAttempts, options, runAt, priority, group, packable)
  local state = 'waiting'
  if packable and not group and not priority and runAt <= now then
    redis.call('HSET', fresh, id, freshPack(maxAttempts, now, name, options, data))
    ready[#ready + 1] = id
    if #ready >= CHUNK then flushReady() end
    return state
  end
  if group then
    -- A job of a group: its g and P in the same HSET, then its group's zset (groups.lua; one ZADD per group per
    -- call) or delayed (promotion reads g).
    redis.call('HSET', key, F.version, '1', F.data, data, F.state, runAt > now and 'delayed' or 'waiting', F.maxAttempts, maxAttempts,
      F.createdAt, now, F.group, group, F.priority, priority or 5)
    if runAt > now then
      state = 'delayed'
      redis.call('HSET', key, F.runAt, runAt)
      redis.call('ZADD', KEYS[2], delayedScore(runAt, priority or 5), id)
      wakeFor(runAt)
    else
      groupPush(k, group, id, priority or 5, false)
    end
    local extra = {}
    if options ~= '' then extra[#extra + 1] = F.options; extra[#extra + 1] = options end
    if name ~= '' then extra[#extra + 1] = F.name; extra[#extra + 1] = name end
    if #extra > 0 then redis.call('HSET', key, unpack(extra)) end
    k.grouped = true
    return state
  end
  if runAt > now then
    state = 'delayed'
    -- No attempt field until the first claim (absent reads as 0): every byte here is paid once per waiting job.
    redis.call('HSET', key, F.version, '1', F.data, data, F.state, 'delayed', F.maxAttempts, maxAttempts, F.createdAt, now, F.runAt, runAt)
    redis.call('ZADD', KEYS[2], delayedScore(runAt, priority), id)
    wakeFor(runAt)
  elseif priority and name == '' and options == '' then
    -- A short-form job of another priority: its P in the same HSET, then the zset (one ZADD per call).
    redis.call('HSET', key, F.version, '1', F.data, data, F.state, 'waiting', F.maxAttempts, maxAttempts, F.createdAt, now, F.priority, priority)
    pushPriority(k, id, priority, false)
    return state
  else
    redis.call('HSET', key, F.version, '1', F.data, data, F.state, 'waiting', F.maxAttempts, maxAttempts, F.createdAt, now)
    if priority then
      pushPriority(k, id, priority, false)
    else
      ready[#ready + 1] = id
      if #ready >= CHUNK then flushReady() end
    end
  end
  -- The optional fields in one HSET (one call for a job with a name, options and a priority, none without).
  local extra = {}
  if options ~= '' then extra[#extra + 1] = F.options; extra[#extra + 1] = options end
  if name ~= '' then extra[#extra + 1] = F.name; extra[#extra + 1] = name end
  if priority then extra[#extra + 1] = F.priority; extra[#extra + 1] = priority end
  if #extra > 0 then redis.call('HSET', key, unpack(extra)) end
  return state
end

-- The job holding a dedupe key, if it has not started: its id, state and priority (nil: the list priority). One
-- GET (+1 HMGET when held).
local function dedupeHolder(dedupeKey)
  local holder = redis.call('GET', dedupePrefix .. dedupeKey)
  if not holder then return nil end
  local fields = redis.call('HMGET', jobPrefix .. holder, F.state, F.attempt, F.priority, F.group)
  local state, attempt = fields[1], tonumber(fields[2] or '0') or 0
  if (state == 'waiting' or state == 'delayed') and attempt == 0 then return holder, state, storedPriority(fields[3]), fields[4] or nil end
  return nil
end

-- Debounce: the holder takes this enqueue's payload and runs `debounce` ms from now. A waiting holder leaves the
-- ready list (LREM: O(length of the list), paid only when a debounced job was already due and not yet claimed).
-- A waiting holder of another priority leaves the priority zset instead (ZREM, O(log n)). It keeps its priority.
local function debounceInto(holder, state, data, debounce, priority, group)
  local key, runAt = jobPrefix .. holder, now + debounce
  if state == 'waiting' and group then
    -- A job of a group leaves its group's zset (it may still be in this call's buffer).
    flushGroups(k)
    groupRemove(k, group, holder)
    k.grouped = true
  elseif state == 'waiting' and priority then
    -- It may still be in this call's buffer.
    flushPriority(k)
    redis.call('ZREM', KEYS[6], holder)
  elseif state == 'waiting' and createdHere[holder] then
    -- Created by this very call, so still in the buffer of ids not yet pushed.
    for j = #ready, 1, -1 do
      if ready[j] == holder then table.remove(ready, j) break end
    end
  elseif state == 'waiting' then
    redis.call('LREM', readyKey, 1, holder)
  end
  redis.call('HSET', key, F.data, data, F.state, 'delayed', F.runAt, runAt)
  redis.call('ZADD', KEYS[2], delayedScore(runAt, priority), holder)
  wakeFor(runAt)
end

for i = 0, n - 1 do
  local base = bases[i]
  local id, data = ARGV[base], ARGV[base + 1]
  local name, maxAttempts, options, runAt, idemKey, fingerprint = '', defaultAttempts, '', 0, '', ''
  local dedupeKey, debounce, priority, group = '', 0, nil, nil
  local form = ARGV[base + 2]
  if form == '+' or form == '*' then
    name, maxAttempts, options = ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
    runAt, idemKey, fingerprint = tonumber(ARGV[base + 6]), ARGV[base + 7], ARGV[base + 8]
    dedupeKey, debounce, priority = ARGV[base + 9], tonumber(ARGV[base + 10]), storedPriority(ARGV[base + 11])
    if form == '*' then group = ARGV[base + 12] end
  elseif form ~= '' then
    priority = storedPriority(form)
  end
  local handled = false
  if idemKey ~= '' then
    local existing = stored[i] or keyedHere[idemKey]
    if existing then
      local existingId, existingFingerprint = parseKeyed(existing)
      local state = jobState(fresh, jobPrefix .. existingId, existingId) or 'expired'
      if existingFingerprint == fingerprint then
        report(existingId, state, 'existing')
      else
        -- Only a key repeated within this call can get here (stored keys were checked above); it was just set
        -- by this call, so nothing is undone: as two calls in a row, the second is refused.
        report(existingId, state, 'conflict')
      end
      handled = true
    end
  end
  if not handled then
    local key = jobKeys[i]
    local state = createdHere[id]
    if not state and anyExists then state = redis.call('HGET', key, F.state) end
    if not state and freshHere[i] then state = 'waiting' end
    local holder, holderState, holderPriority, holderGroup
    if not state and dedupeKey ~= '' then holder, holderState, holderPriority, holderGroup = dedupeHolder(dedupeKey) end
    if state then
      report(id, state, 'existing')
    elseif holder then
      if debounce > 0 then
        debounceInto(holder, holderState, data, debounce, holderPriority, holderGroup)
        holderState = 'delayed'
      end
      report(holder, holderState, 'existing')
    else
      if debounce > 0 and now + debounce > runAt then runAt = now + debounce end
      state = create(key, id, name, data, maxAttempts, options, runAt, priority, group, dedupeKey == '')
      createdHere[id] = state
      report(id, state, 'created')
      if idemKey ~= '' then
        keyedHere[idemKey] = id .. ' ' .. fingerprint
        redis.call('SET', idemPrefix .. idemKey, keyedHere[idemKey], 'PX', idemTtl)
      end
      if dedupeKey ~= '' then redis.call('SET', dedupePrefix .. dedupeKey, id, 'PX', idemTtl) end
    end
  end
end
flushReady()
wakeForPriority(k)
if k.grouped then
  flushGroups(k)
  flushGroupCounts(k)
  -- Promotion reads a delayed job's group only in queues that have had grouped jobs (promote_due.lua).
  redis.call('HSET', k.meta, 'grouped', '1')
end
return out
