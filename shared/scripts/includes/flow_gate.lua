-- @include prelude
-- The flow gate: how many jobs a claim may start now, so a job type's `rateLimit` and `concurrency` (or their
-- runtime override in the meta hash) and a handler's back-pressure hold fleet-wide, however many workers claim.
-- The claim script asks the gate for an allowance before its take loop, records what it took afterwards, and
-- returns the gate's reply to the worker: { state, reopenAt }:
--   state 0  no limit applies to this queue (the worker may claim ahead as usual)
--   state 1  limits apply, and this claim was not held back by them
--   state 2  closed: the claim took fewer than asked (maybe none) because of a limit; reopenAt says until when:
--            a time (ms) for a rate window or a back-pressure pause, -1 for "until a slot frees" (concurrency),
--            which a wake-up marker on {q}:limiter:wake announces (flowWake, called by whatever frees slots)
-- Costs, per claim call: 1 HMGET of meta (the override and the pause) on every queue; with a concurrency limit
-- 1 ZRANGE of the workers + 1 LLEN per worker process (running = every in-flight list's length: exact, and it
-- heals itself, since reaping a dead worker deletes its list); with a rate limit 1 LRANGE (+1 LTRIM when starts
-- leave the window) and, when jobs were taken, 1 RPUSH + 1 PEXPIRE.
-- k: needs k.meta, k.wait, k.workers, k.rate, k.gateWake, k.active (this worker's list).

-- "max/perMs", as the override is stored (ops/limits.ts writes it).
local function flowParseRate(text)
  if not text then return nil end
  local max, per = string.match(text, '^(%d+)/(%d+)$')
  if not max then return nil end
  return tonumber(max), tonumber(per)
end

-- Jobs claimed and not yet settled, across the fleet: every registered worker's in-flight list (ours included,
-- less the entry a BLMOVE moved there for this claim, which is not running yet). Entries another worker's BLMOVE
-- moved and not yet claimed count too: it errs on the safe side, for the few ms until that worker's claim.
local function flowRunning(k, me, movedHere)
  local activePrefix = string.sub(k.active, 1, #k.active - #me)
  local running = redis.call('LLEN', k.active)
  for _, worker in ipairs(redis.call('ZRANGE', k.workers, 0, -1)) do
    if worker ~= me then running = running + redis.call('LLEN', activePrefix .. worker) end
  end
  if movedHere then running = running - 1 end
  return running
end

-- def: the definition's limits as the worker sent them ({ rateMax, ratePer, concurrency }, 0 = none).
-- Returns { allowed, reply, rateMax, ratePer, concurrency, want }.
local function flowGate(k, now, want, def, me, movedHere)
  -- Read here, not with claim's pause-flag HGET at the top: the settlements claim carries run in between and a
  -- throttled one sets throttledUntil, which this very claim must already honour.
  local m = redis.call('HMGET', k.meta, FLOW.rate, FLOW.concurrency, FLOW.throttledUntil)
  local rateMax, ratePer = flowParseRate(m[1])
  if not rateMax and def.rateMax > 0 then rateMax, ratePer = def.rateMax, def.ratePer end
  local concurrency = tonumber(m[2] or '') or (def.concurrency > 0 and def.concurrency) or nil
  local throttledUntil = tonumber(m[3] or '')
  local gate = { allowed = want, reply = { 0, 0 }, rateMax = rateMax, ratePer = ratePer, concurrency = concurrency, want = want }
  if not rateMax and not concurrency and not (throttledUntil and throttledUntil > now) then return gate end
  gate.reply[1] = 1
  if throttledUntil and throttledUntil > now then
    gate.allowed = 0
    gate.reply = { 2, throttledUntil }
    return gate
  end
  if concurrency then
    local free = concurrency - flowRunning(k, me, movedHere)
    gate.concurrencyFree = free
    if free < gate.allowed then gate.allowed = math.max(0, free) end
    if free <= 0 then
      gate.reply = { 2, -1 }
      -- Whoever frees a slot next wakes one of us (flowWake).
      redis.call('HSET', k.meta, FLOW.slotWaiters, '1')
      return gate
    end
  end
  if rateMax then
    -- Starts of the last `per` ms, oldest first (a sliding log: no window of that length ever holds more than
    -- max, unlike a fixed window or a token bucket, which both let up to twice max through around a boundary).
    -- Starts that left the window are trimmed from the head, in chunks: a claim reads what it drops, not the log.
    local cutoff = now - ratePer
    local used = redis.call('LLEN', k.rate)
    while used > 0 do
      local chunk = redis.call('LRANGE', k.rate, 0, 99)
      local gone = 0
      while gone < #chunk and tonumber(chunk[gone + 1]) <= cutoff do gone = gone + 1 end
      if gone > 0 then
        redis.call('LTRIM', k.rate, gone, -1)
        used = used - gone
      end
      if gone < #chunk then
        gate.rateHead = tonumber(chunk[gone + 1])
        break
      end
    end
    gate.rateUsed = used
    local free = rateMax - used
    if free < gate.allowed then gate.allowed = math.max(0, free) end
    if free <= 0 then gate.reply = { 2, gate.rateHead + ratePer } end
  end
  return gate
end

-- After the take loop: logs the starts against the rate window, and says "closed" when the gate held this claim
-- back (it took all it was allowed and that was less than it asked for). When slots are still free after the
-- claim and someone waits for one, wakes them.
-- Something freed `n` slots (settled, reaped or handed back jobs): while workers may be parked on a saturated
-- queue (`slotWaiters`, set by every claim that found it so), push up to `n` markers onto the wake list, each of
-- which wakes one of them. The flag stays until a claim finds slots left over after taking what it wanted (then
-- nobody is short of one): clearing it at the first wake-up would strand a second parked worker, including one
-- whose own jobs just finished. The list keeps at most 16 and expires: a marker nobody was parked for costs one
-- early claim, no more. 1 HGET per call that freed slots, + RPUSH, LTRIM, PEXPIRE while someone may wait.
local function flowWake(k, n)
  if n <= 0 or redis.call('HGET', k.meta, FLOW.slotWaiters) ~= '1' then return end
  local markers = {}
  for i = 1, math.min(n, 16) do markers[i] = MARKER end
  redis.call('RPUSH', k.gateWake, unpack(markers))
  redis.call('LTRIM', k.gateWake, -16, -1)
  redis.call('PEXPIRE', k.gateWake, 60000)
end

local function flowRecord(k, now, gate, claimed)
  if gate.reply[1] ~= 1 then return end
  local rateFull = false
  if gate.rateMax and claimed > 0 then
    local starts = {}
    for i = 1, claimed do starts[i] = now end
    redis.call('RPUSH', k.rate, unpack(starts))
    redis.call('PEXPIRE', k.rate, gate.ratePer)
    rateFull = gate.rateUsed + claimed >= gate.rateMax
  end
  if gate.allowed < gate.want and claimed >= gate.allowed then
    -- In place: the claim already put this table in its reply.
    gate.reply[1] = 2
    if rateFull then
      gate.reply[2] = (gate.rateHead or now) + gate.ratePer
    else
      gate.reply[2] = -1
      redis.call('HSET', k.meta, FLOW.slotWaiters, '1')
    end
  elseif gate.concurrencyFree and gate.concurrencyFree > claimed then
    -- Slots this claim left free (it drained the wait list, or asked for fewer): parked peers may take them, and
    -- from here on nobody is short of a slot.
    flowWake(k, gate.concurrencyFree - claimed)
    redis.call('HDEL', k.meta, FLOW.slotWaiters)
  end
end

-- A handler's back-pressure (RateLimitedError, a webhook's 429): no claim starts a job of this queue before
-- `untilMs`. A later pause never shortens a longer one already set.
local function flowThrottle(k, untilMs)
  local current = tonumber(redis.call('HGET', k.meta, FLOW.throttledUntil) or '')
  if current == nil or untilMs > current then redis.call('HSET', k.meta, FLOW.throttledUntil, untilMs) end
end

-- A job a BLMOVE moved into our in-flight list for a claim the gate then closed: back to the consuming end of the
-- wait list, first in line when the gate reopens (it never started, so its attempt is untouched).
local function flowGiveBack(k, entry)
  redis.call('LREM', k.active, 1, entry)
  redis.call('RPUSH', k.wait, entry)
end
