--[[ claim: promotes due delayed jobs, then moves up to `max` waiting ids into this worker's in-flight list and
  marks them active, in one call, so a busy worker claims a batch per round trip. The in-flight list is the
  lease: if this worker dies, another worker's tick moves these ids back to wait.
  While the queue is paused it starts nothing: it still applies the settlements it carries and promotes due jobs
  (into the paused list), gives an entry a BLMOVE moved back to the consuming end of the paused list, and claims
  none; the worker then blocks on wait, which is absent until resume renames paused back (no polling).
  Priorities: jobs of the list priority (the queue's default) are in wait, others in prio (priority.lua). Each
  pick takes the prio head while its priority is lower (more urgent) than the list's, else wait's next entry,
  else the prio head: the lowest number available first, FIFO within one priority, since each priority lives in
  exactly one of the two.
  KEYS[1] wait      LIST  waiting local ids
  KEYS[2] active    LIST  this worker's in-flight ids
  KEYS[3] delayed   ZSET  local id -> runAt
  KEYS[4] wake      STRING earliest runAt a worker knows about
  KEYS[5] dead      ZSET  dead-lettered local ids (for the settlements carried along)
  KEYS[6] stats     HASH  counters (for the settlements carried along)
  KEYS[7] meta      HASH  queue settings (`paused`)
  KEYS[8] paused    LIST  waiting local ids while the queue is paused
  KEYS[9] completed ZSET  local id -> finishedAt (for the settlements carried along)
  KEYS[10] history  HASH  this minute's history bucket: settled outcomes, and `waiting` (ready-list depth)
  KEYS[11] workers  ZSET  worker id -> lease expiry (ms): a claim that takes jobs while this worker's lease says
          "idle" (expiry further than one lease away) makes it short again and wakes a blocked peer (see below);
          the flow gate counts every worker's in-flight list in it (includes/flow_gate.lua)
  KEYS[12] callbacks HASH completion callbacks recorded by the settlements carried along (as in `settle`)
  KEYS[13] rate     LIST  start times (ms) inside the current rate window, oldest first (flow gate)
  KEYS[14] gateWake LIST  wake-up markers for workers waiting for a concurrency slot (flow gate)
  KEYS[15] prio     ZSET  waiting local ids of another priority than the list's, in run order
  KEYS[16] fresh    HASH  local id -> packed record of a waiting job never claimed: claiming it writes its record
  ARGV[1] now (ms)
  ARGV[2] job key prefix
  ARGV[3] max jobs to claim
  ARGV[4] "=" followed by the entry a blocking BLMOVE already moved into the active list, or "" for none
          (the prefix lets an empty entry be told from none); counts toward max
  ARGV[5] retention (ms) of dead-letters written here for entries that cannot be run at all
  ARGV[6] number of settlements N carried along ("finish these, give me the next" in one call)
  ARGV[7..] N groups of 7, as in `settle`
  ARGV[7+7N] this worker's id in `workers`, ARGV[8+7N] lease (ms); "0": the lease is not touched
  ARGV[9+7N] the definition's rate limit: max starts ("0" none), ARGV[10+7N] per (ms), ARGV[11+7N] its
          concurrency ("0" none); an override in meta wins (flow gate)
  ARGV[12+7N] the queue's list priority (1-10; absent: 5)
  ARGV[13+7N] the definition's per-group concurrency ("0" or absent: none), ARGV[14+7N] its per-group rate
          limit: max starts ("0" none), ARGV[15+7N] per (ms) (groups.lua)
  Groups: an entry `^<group>` is a group's token (groups.lua): taking it starts that group's next job and puts the
  token back at the producer end (or parks it while the group is at a limit). The group keys are derived from
  KEYS[7] (same hash tag).
  returns { nextDue (ms, -1 none), { settlement flags, as `settle` returns }, movedFound (1/0),
          { gate state, reopenAt } (flow_gate.lua), job... } where
          each job is { localId, v, n, d, a, m, o, c, k }. Entries that are not job ids, or have no readable
          record, are dead-lettered here with their reason and not returned.
]]
-- @include prelude
-- @include ready_list
-- @include promote_due
-- @include apply_settlements
-- @include dead_letter_entry
-- @include flow_gate
-- @include priority
-- @include groups
-- @include fresh
-- @include claim_job
local now = tonumber(ARGV[1])
local jobPrefix, max = ARGV[2], tonumber(ARGV[3])
local moved = nil
if string.sub(ARGV[4], 1, 1) == '=' then moved = string.sub(ARGV[4], 2) end
local poisonTtl = tonumber(ARGV[5])
local KNOWN_STATES = { delayed = true, active = true, completed = true, dead = true, cancelled = true }
local k = {
  active = KEYS[2], wait = KEYS[1], delayed = KEYS[3], dead = KEYS[5], stats = KEYS[6], wake = KEYS[4],
  meta = KEYS[7], paused = KEYS[8], completed = KEYS[9], history = KEYS[10],
  workers = KEYS[11], callbacks = KEYS[12], rate = KEYS[13], gateWake = KEYS[14], prio = KEYS[15], fresh = KEYS[16],
}
-- One read of meta per claim call, not per job: the pause flag (as readyList) and whether the queue has ever had
-- jobs of a group (enqueue sets `grouped`), so a queue without groups pays nothing for them.
local metaFlags = redis.call('HMGET', k.meta, 'paused', 'grouped')
k.ready = metaFlags[1] == '1' and k.paused or k.wait
local queueGrouped = metaFlags[2] == '1'
-- Settle first: the in-flight list shrinks before it grows, and a retry due now can be promoted right away.
local settled = applySettlements(k, jobPrefix, now, 7, tonumber(ARGV[6]))
local out = { promoteDue(k, jobPrefix, now), settled, 1, { 0, 0 } }
-- A carried hand back of a prio job is still in the push buffer (promoteDue flushes only when it promoted).
flushPriority(k)
-- Likewise a carried hand back of a grouped job; then groups whose rate window or pause reopened get their tokens.
flushGroups(k)
local groupDue = nil
if queueGrouped then groupDue = promoteGroups(k, now) end
-- The earlier of two next-due times (-1 / nil: none).
local function earlier(a, b)
  if not a or a < 0 then return b or -1 end
  if not b or b < 0 then return a end
  return math.min(a, b)
end
out[1] = earlier(out[1], groupDue)
local claimed = 0
local leaseAt = 7 + 7 * tonumber(ARGV[6])
local listPriority = tonumber(ARGV[leaseAt + 5] or '') or 5
local gl = {
  concurrency = tonumber(ARGV[leaseAt + 6] or '0') or 0,
  rateMax = tonumber(ARGV[leaseAt + 7] or '0') or 0,
  ratePer = tonumber(ARGV[leaseAt + 8] or '0') or 0,
}
if gl.ratePer <= 0 then gl.rateMax = 0 end

if k.ready == k.paused then
  -- Paused: start nothing. An entry a BLMOVE moved before the pause goes back to the consuming end, first in
  -- line for the resume (a marker has done its job: promotion ran above). LREM from the head, where BLMOVE put
  -- it; 0 removed means it is not ours as sent, and movedFound = 0 makes the worker recover.
  if moved then
    if redis.call('LREM', KEYS[2], 1, moved) == 0 then
      out[3] = 0
    elseif moved ~= MARKER then
      redis.call('RPUSH', k.paused, moved)
    end
  end
  -- The depth a paused queue builds up is what an operator watches: 1 LLEN + the history write.
  flushGroupCounts(k)
  local depth = redis.call('LLEN', k.paused)
  if queueGrouped then depth = depth + groupWaitingCorrection(k) end
  flushTally(k, now, depth)
  return out
end

local function priorityOfScore(score)
  return math.floor(tonumber(score) / PRIORITY_BAND)
end
-- The prio zset's head, read max + 1 at a time (one ZRANGE per claim call, on an absent key for a queue without
-- priorities: the one command they cost a claim). `heads` holds id, score pairs not yet taken. Taken heads leave
-- the zset only at the end of the call (flushHeads), so a re-read starts after them.
local heads, hi, prioEmpty = {}, 1, false
local headsTaken, headsClaimed = {}, {}
local function headPriority()
  if hi > #heads and not prioEmpty then
    heads, hi = redis.call('ZRANGE', k.prio, #headsTaken, #headsTaken + max - claimed, 'WITHSCORES'), 1
    if #heads == 0 then prioEmpty = true end
  end
  if heads[hi] then return priorityOfScore(heads[hi + 1]) end
  return nil
end

local function takeJob(entry)
  if entry == MARKER then
    -- A producer's wake-up call: it did its job by waking us; promotion ran above.
    redis.call('LREM', KEYS[2], 1, entry)
    return
  end
  if not isLocalId(entry) then
    deadLetterEntry(k, jobPrefix, entry, 'invalid_entry', 'wait-list entry is not a job id', now, poisonTtl)
    return
  end
  local key = jobPrefix .. entry
  -- A fresh job (its first claim): its record is written whole, active, and its packed form goes. One read and
  -- two writes; its attempt is 1 and it has no stalls.
  local packed = redis.call('HGET', k.fresh, entry)
  if packed then
    local job = freshClaim(k.fresh, key, entry, packed, now)
    if not job then
      redis.call('HDEL', k.fresh, entry)
      deadLetterEntry(k, jobPrefix, entry, 'unreadable_record', 'fresh job record cannot be read: ' .. string.sub(packed, 1, 50), now, poisonTtl, true)
      return
    end
    out[#out + 1] = job
    claimed = claimed + 1
    return
  end
  -- One read and one write per job: this runs for every job, so redis.call count is the throughput budget.
  local f = claimRead(key)
  if f.err then
    deadLetterEntry(k, jobPrefix, entry, 'unreadable_record', 'job record is not a hash: ' .. f.err, now, poisonTtl)
    return
  end
  local state = f[1]
  if not state then
    deadLetterEntry(k, jobPrefix, entry, 'missing_record', 'wait-list entry has no job record', now, poisonTtl)
    return
  end
  if state ~= 'waiting' then
    if KNOWN_STATES[state] then
      -- Stale entry (e.g. cancelled in a race with a reap): drop it, the record already says what happened.
      redis.call('LREM', KEYS[2], 1, entry)
    else
      deadLetterEntry(k, jobPrefix, entry, 'invalid_state', 'job record has an unknown state: ' .. string.sub(state, 1, 50), now, poisonTtl)
    end
    return
  end
  out[#out + 1] = claimStart(key, entry, f, now)
  claimed = claimed + 1
end

-- A group's token (groups.lua): out of our in-flight list, where the LMOVE or BLMOVE put it; the group's next job
-- is claimed as any entry and joins our in-flight list with the call's prio jobs (flushHeads); then the token goes
-- back in line, or is parked while the group is at a limit.
local function takeToken(entry)
  redis.call('LREM', KEYS[2], 1, entry)
  local group = string.sub(entry, 2)
  local id, s = groupNext(k, group, now, gl)
  if not id then return end
  local before = claimed
  takeJob(id)
  local started = claimed > before
  if started then headsClaimed[#headsClaimed + 1] = id end
  groupAfterStart(k, group, now, gl, s, started)
end

local function take(entry)
  if string.sub(entry, 1, 1) == GROUP_TOKEN then
    takeToken(entry)
  else
    takeJob(entry)
  end
end

-- A prio job: claimed as any entry, then out of the zset and into our in-flight list together with the call's
-- other prio jobs (flushHeads: one ZREM and one LPUSH per call, so a prio job costs a claim no more than an LMOVE'd
-- one). take() does not need it in the list first: what it may remove from there (a stale or poison entry) is
-- then simply not added.
local function takeHead()
  local entry = heads[hi]
  hi = hi + 2
  headsTaken[#headsTaken + 1] = entry
  local before = claimed
  takeJob(entry)
  if claimed > before then headsClaimed[#headsClaimed + 1] = entry end
end
local function flushHeads()
  if #headsTaken > 0 then redis.call('ZREM', k.prio, unpack(headsTaken)) end
  if #headsClaimed > 0 then redis.call('LPUSH', KEYS[2], unpack(headsClaimed)) end
end

-- Only if it really is in our list: an entry handed back by recovery in the meantime belongs to the queue again.
-- Not found can also mean the client could not echo its bytes (not UTF-8): movedFound tells it to recover.
local movedHere = moved ~= nil and redis.call('LPOS', KEYS[2], moved) ~= false
if moved and not movedHere then out[3] = 0 end
-- The flow gate caps what this call may take; a closed gate sends a moved job back to the consuming end.
local gate = flowGate(k, now, max, { rateMax = tonumber(ARGV[leaseAt + 2] or '0') or 0, ratePer = tonumber(ARGV[leaseAt + 3] or '0') or 0,
  concurrency = tonumber(ARGV[leaseAt + 4] or '0') or 0 }, ARGV[leaseAt] or '', movedHere)
max, out[4] = gate.allowed, gate.reply
-- A job BLMOVE took from wait while a more urgent one waits in prio goes back to the front of wait too (the loop
-- below then takes them in order): strict priority even for the entry a blocked worker was handed.
if movedHere then
  if moved == MARKER then
    take(moved)
  elseif max == 0 or (headPriority() or 11) < listPriority then
    flowGiveBack(k, moved)
  else
    take(moved)
  end
end
-- Markers do not count toward max, but bound the loop so a wait list full of markers cannot spin forever.
local budget = max + 100
local drained = false
while claimed < max and budget > 0 do
  budget = budget - 1
  local p = headPriority()
  if p and p < listPriority then
    takeHead()
  else
    local entry = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
    if entry then
      take(entry)
    elseif p then
      takeHead()
    else
      drained = true
      break
    end
  end
end
flushHeads()
-- The wait list's depth, for the history below (free when the loop drained it, else one LLEN).
local listed = 0
if not drained then listed = redis.call('LLEN', KEYS[1]) end
-- Prio jobs left over while wait is empty: peers may be blocked in BLMOVE with work waiting for them (a producer's
-- marker woke only one), so a marker wakes the next (whose claim does the same): one RPUSH per such call, none
-- per job. A non-empty wait has no blocked client.
-- Not when the flow gate held this claim back: the woken peer's claim would find it closed and wake the next, a
-- ping-pong of claims; the gate's own wake-up (flow_gate.lua) reopens it.
local prioLeft = 0
if not drained and not prioEmpty then
  prioLeft = redis.call('ZCARD', k.prio)
  if prioLeft > 0 and listed == 0 and gate.allowed >= gate.want then redis.call('RPUSH', KEYS[1], MARKER) end
end
-- Idle -> busy. An idle worker's lease entry has a far expiry (tick writes it while the in-flight list is empty),
-- so nobody watches it; the moment it takes a job the lease is short again, here, with no extra command. And
-- since idle peers tick rarely, one of them must learn the new expiry: a marker wakes the first blocked peer
-- (only when the wait list is drained: otherwise nobody is blocked, and peers that claim the rest are busy and
-- tick often). That peer's claim drops the marker and its tick schedules the reap. 1 ZSCORE per claim that took
-- jobs, + ZADD + RPUSH per idle -> busy transition.
local leaseMs = tonumber(ARGV[leaseAt + 1] or '0') or 0
if claimed > 0 and leaseMs > 0 then
  local me = ARGV[leaseAt]
  local expiry = tonumber(redis.call('ZSCORE', KEYS[11], me) or '')
  if expiry == nil or expiry > now + leaseMs then
    redis.call('ZADD', KEYS[11], now + leaseMs, me)
    if drained then redis.call('RPUSH', KEYS[1], MARKER) end
  end
end
flowRecord(k, now, gate, claimed)
-- Group limits apply: no claiming ahead (a job claimed ahead would hold one of its group's slots while it waits).
if (gl.concurrency > 0 or gl.rateMax > 0) and out[4][1] == 0 then out[4][1] = 1 end
out[1] = earlier(out[1], k.groupLaterDue)
flushGroupCounts(k)
-- The waiting depth for this minute's history (wait + prio). With the history write (1-2 calls, see flushTally)
-- that is what a claim call pays for operators, per call, not per job.
-- A queue with groups: their waiting jobs, less their tokens counted in the list (1 HMGET, only there).
local depth = listed + prioLeft
if queueGrouped then depth = math.max(0, depth + groupWaitingCorrection(k)) end
flushTally(k, now, depth)
return out
