--[[ tick: a worker's periodic call: refresh its lease, reap the in-flight lists of workers whose lease has
  expired, promote due delayed jobs. One call does all three, so an idle worker costs one command per tick.
  KEYS[1] workers   ZSET  worker id -> lease expiry (ms)
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] delayed   ZSET  local id -> runAt
  KEYS[4] wake      STRING earliest runAt a worker knows about
  KEYS[5] dead      ZSET  dead-lettered local ids
  KEYS[6] stats     HASH  counters
  KEYS[7] meta      HASH  queue settings (`paused`)
  KEYS[8] paused    LIST  waiting local ids while the queue is paused (reaped jobs go here then)
  KEYS[9] history   HASH  this minute's history bucket: `waiting` (ready-list depth), stall deaths
  KEYS[10] schedulesDue ZSET schedule id -> next fire (ms): its head is returned, so a worker's schedule timer
          learns the earliest fire at no extra command (API changes also push the marker: schedule_upsert)
  KEYS[11] callbacks HASH completion callbacks not yet moved into the `callback` queue: stall deaths add theirs,
          and whether any is left is returned, so entries a SIGKILLed worker left behind are moved by the next tick
  KEYS[12] gateWake LIST  wake-up markers for workers waiting for a concurrency slot (flow_gate.lua)
  KEYS[13] prio     ZSET  waiting ids of another priority than the list's (reaped and promoted ones go here)
  ARGV[1] now (ms)
  ARGV[2] this worker's id
  ARGV[3] lease (ms); "0" = clean shutdown: leave the registry and hand back whatever is still in this
          worker's in-flight list (the caller has settled everything it knew about)
  ARGV[4] in-flight list prefix ("offload:{q}:active:")
  ARGV[5] job key prefix
  ARGV[6] stalls allowed before a job is dead-lettered as stalled
  ARGV[7] dead record retention (ms)
  ARGV[8] idle lease (ms), optional: while this worker's in-flight list is empty its entry gets this far expiry
          instead (nothing to reap, so nobody needs to watch it closely); its claim makes it short again
  returns { nextDue (ms, -1 none), earliest lease expiry of another worker (ms, -1 none), jobs reaped, jobs dead,
            earliest schedule fire (ms, -1 none), the expiry written for this worker (ms, -1 when it left),
            callbacks waiting to be moved (1/0) }
]]
-- @include prelude
-- @include promote_due
-- @include hand_back
-- @include dead_letter
-- @include flow_gate
-- @include groups
local now = tonumber(ARGV[1])
local me, lease, activePrefix, jobPrefix = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local maxStalls, deadTtl = tonumber(ARGV[6]), tonumber(ARGV[7])
local idleLease = tonumber(ARGV[8] or '0') or 0
local reaped, died = 0, 0
-- Entries taken out of in-flight lists: each held a concurrency slot (flow_gate.lua counts those lists).
local freed = 0
local k = {
  wait = KEYS[2], delayed = KEYS[3], wake = KEYS[4], dead = KEYS[5], stats = KEYS[6], meta = KEYS[7],
  paused = KEYS[8], history = KEYS[9], callbacks = KEYS[11], gateWake = KEYS[12], prio = KEYS[13],
}
-- One HGET per tick: reaped and promoted jobs go to the paused list while the queue is paused.
k.ready = readyList(k)

local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if lease <= 0 then expired[#expired + 1] = me end
for _, worker in ipairs(expired) do
  -- Our own list is only handed back on a clean shutdown, and that is not a stall.
  local stalled = worker ~= me
  if stalled or lease <= 0 then
    local activeKey = activePrefix .. worker
    -- The list's left end holds the newest claim; pushing from the left keeps the oldest first in line.
    local entries = redis.call('LRANGE', activeKey, 0, -1)
    for _, entry in ipairs(entries) do
      if entry ~= MARKER then
        freed = freed + 1
        local key = jobPrefix .. entry
        -- State, priority and group in one read (a reaped job keeps its priority, and gives its group slot back).
        -- A group's token (no record) goes back in line like any entry that is not a job.
        local f = redis.pcall('HMGET', key, F.state, F.priority, F.group)
        local state, priority, group = nil, nil, nil
        if type(f) == 'table' and not f.err then state, priority, group = f[1], storedPriority(f[2]), f[3] or nil end
        if not state then
          -- Unreadable or missing record: back in line, where the next claim dead-letters it with the reason.
          pushReady(k, entry)
        elseif state == 'waiting' then
          -- Moved by a BLMOVE whose claim never came: it never started, so no stall.
          pushReady(k, entry)
        elseif state == 'active' and not stalled then
          handBack(k, key, entry, priority, group)
        elseif state == 'active' then
          local stalls = redis.call('HINCRBY', key, F.stalls, 1)
          bump(tallyOf(k).stats, 'stalled', 1)
          if stalls > maxStalls then
            local err = cjson.encode({ message = 'job stalled ' .. stalls .. ' times (its worker died mid-run)', reason = 'stalled' })
            if group then groupRelease(k, group) end
            deadLetter(k, key, entry, err, now, deadTtl)
            died = died + 1
          else
            handBack(k, key, entry, priority, group)
            reaped = reaped + 1
          end
        end
      end
    end
    redis.call('DEL', activeKey)
    redis.call('ZREM', KEYS[1], worker)
  end
end

-- A dead worker's slots are given back with its list: wake whoever waits for one (1 HGET, only when we reaped).
flowWake(k, freed)

local expiry = -1
if lease > 0 then
  expiry = now + lease
  -- 1 EXISTS per tick: an empty in-flight list means nothing of ours could need reaping.
  if idleLease > lease and redis.call('EXISTS', activePrefix .. me) == 0 then expiry = now + idleLease end
  redis.call('ZADD', KEYS[1], expiry, me)
else
  redis.call('ZREM', KEYS[1], me)
end

-- An idle lease (a far expiry) is written only while that worker's in-flight list is empty, so an entry there now
-- was moved by its BLMOVE a moment ago — or the worker died between that BLMOVE and its claim, and the job would
-- wait for the idle lease to run out (minutes) before anyone reaps it. Shorten such a lease to one lease from now:
-- a live worker's claim renews it within milliseconds, a dead one is reaped within one lease of this tick.
-- 1 ZRANGEBYSCORE per tick, + 1 LLEN per idle peer.
if lease > 0 then
  for _, worker in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now + lease), '+inf')) do
    if worker ~= me and redis.call('LLEN', activePrefix .. worker) > 0 then redis.call('ZADD', KEYS[1], now + lease, worker) end
  end
end

local nextDue = promoteDue(k, jobPrefix, now)
wakeForPriority(k)
-- Reaped jobs of groups, and groups whose rate window or pause reopened (their time is a next-due too).
flushGroups(k)
local groupDue = promoteGroups(k, now)
if groupDue and (nextDue < 0 or groupDue < nextDue) then nextDue = groupDue end
flushGroupCounts(k)
local earliestOther = -1
local head = redis.call('ZRANGE', KEYS[1], 0, 1, 'WITHSCORES')
for i = 1, #head, 2 do
  if head[i] ~= me then
    earliestOther = tonumber(head[i + 1])
    break
  end
end
-- The waiting depth for this minute's history: 1 LLEN + 1 ZCARD + 1 HMGET (grouped jobs, groups.lua) + 1 HSET per
-- tick (+1 PEXPIRE once a minute).
flushTally(k, now, math.max(0, redis.call('LLEN', k.ready) + redis.call('ZCARD', k.prio) + groupWaitingCorrection(k)))
-- One ZRANGE of the head, whatever the number of schedules.
local schedule = redis.call('ZRANGE', KEYS[10], 0, 0, 'WITHSCORES')
-- One EXISTS per tick: callbacks recorded but not moved on (their worker died right after settling).
return { nextDue, earliestOther, reaped, died, tonumber(schedule[2] or '-1'), expiry, redis.call('EXISTS', KEYS[11]) }
