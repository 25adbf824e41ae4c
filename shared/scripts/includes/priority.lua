-- @include prelude
-- @include ready_list
-- Priorities (shared/src/priority.ts; PROTOCOL.md "Priorities"). A job of the queue's list priority (its default)
-- waits in the ready list as always. A job of another priority has the record field P and waits in {q}:prio,
-- scored so that ZRANGE order is run order: priority * BAND + MID + seq for one joining the back of its priority,
-- priority * BAND + MID - seq for one going first in line (promoted, handed back: what RPUSH onto the ready list
-- does for the others). seq grows with every push (the meta hash's `prioSeq`, reserved SEQ_BLOCK at a time: one
-- HINCRBY per script call, not per job), so each priority is FIFO. Scores stay below 2^53 (exact in a double) and
-- go to Redis as '%.0f' strings: Lua's own number-to-string keeps only 14 digits.
-- A DELAYED job of another priority keeps it in its delayed score instead: runAt - 1 + priority / 16 (exact in
-- binary; for whole-ms clocks due exactly at runAt, and ordered after every job due at runAt - 1 and before those
-- due at runAt), so promotion needs no record read and a queue without priorities pays nothing for them. Every
-- score written to `delayed` goes through delayedScore.
-- k: needs k.prio, k.meta (and k.wait, k.paused for the wake-up); keeps its buffers in k.
-- BAND = 2^46, MID = 2^45: room for 2^45 pushes each way around MID.
local PRIORITY_BAND = 70368744177664
local PRIORITY_MID = 35184372088832
local SEQ_BLOCK = 1000

-- The record's P field as a priority, or nil (absent or not 1-10: the list priority).
local function storedPriority(value)
  local p = tonumber(value or '')
  if p and p >= 1 and p <= 10 and p == math.floor(p) then return p end
  return nil
end

local function nextSeq(k)
  if not k.seqNext or k.seqNext > k.seqLast then
    k.seqLast = redis.call('HINCRBY', k.meta, 'prioSeq', SEQ_BLOCK)
    k.seqNext = k.seqLast - SEQ_BLOCK + 1
  end
  local seq = k.seqNext
  k.seqNext = seq + 1
  return seq
end

-- One ZADD for all the pushes of a call (or of 1000 of them).
local function flushPriority(k)
  if k.prioBuf and #k.prioBuf > 0 then
    redis.call('ZADD', k.prio, unpack(k.prioBuf))
    k.prioBuf = {}
    k.prioPushed = true
  end
end

local function pushPriority(k, id, priority, front)
  local seq = nextSeq(k)
  if front then seq = -seq end
  if not k.prioBuf then k.prioBuf = {} end
  k.prioBuf[#k.prioBuf + 1] = string.format('%.0f', priority * PRIORITY_BAND + PRIORITY_MID + seq)
  k.prioBuf[#k.prioBuf + 1] = id
  if #k.prioBuf >= 2000 then flushPriority(k) end
end

-- Workers block in BLMOVE on the wait list only, so a call that pushed to the zset wakes one with the marker when
-- the wait list is empty (a non-empty one has no blocked client: Redis would have served it); a woken worker's
-- claim wakes the next while the zset holds more (claim.lua). Paused: nothing, resume wakes. 1 LLEN (+1 RPUSH)
-- per call that pushed, nothing otherwise.
local function wakeForPriority(k)
  flushPriority(k)
  if not k.prioPushed then return end
  if (k.ready or readyList(k)) ~= k.wait then return end
  if redis.call('LLEN', k.wait) == 0 then redis.call('RPUSH', k.wait, MARKER) end
end

-- The delayed score of a job due at runAt (whole ms): runAt itself for the list priority (priority nil).
local function delayedScore(runAt, priority)
  if not priority then return runAt end
  return string.format('%.4f', math.floor(runAt) - 1 + priority / 16)
end
