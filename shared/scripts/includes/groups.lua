-- @include prelude
-- @include group_push
-- Groups (PROTOCOL.md "Groups"): fair round robin between the groups of a queue, and per-group limits.
-- A job of a group (record field g) never waits in the ready list itself. It waits in its group's zset
-- {q}:gw:<group>, scored like {q}:prio (priority, then sequence: priorities order the jobs of a group, FIFO within
-- one), and the ready list holds at most ONE token `^<group>` per group with waiting jobs. A claim that takes a
-- token starts the group's next job and pushes the token back at the producer end: each group gets one start per
-- turn, interleaved with ungrouped jobs, however many jobs it has waiting. Blocking pops need no change: a token is
-- an entry like any other.
-- Where a group's token is, in its state hash {q}:gs:<group> field `token`: ready = in the ready list (or moving through an
-- in-flight list), full = parked because the group is at its concurrency limit (whatever frees one of its slots pushes
-- it back: groupRelease), later = parked in {q}:groups:later until its rate window or back-pressure pause reopens
-- (promoted by claim and tick like a delayed job; the time feeds the next-due the worker wakes at). Absent = the
-- group has no waiting job (a push sets it, with HSETNX, and pushes the token). `running` = its jobs running
-- (claimed, not settled: +1 per start, -1 per settlement, reap, recover, hand back), `until` = back-pressure (no
-- start before, ms).
-- The hash is deleted when the group has neither a token nor a running job: an empty group leaves no key behind
-- (its rate window {q}:gr:<group> expires with the window).
-- The meta hash counts grouped waiting jobs (groupWaiting) and tokens (groupTokens), so stats stay O(1).
-- Every key is derived from k.meta (or k.wait): the same hash tag, one cluster slot.
-- Cost per grouped start (claim): the token's LMOVE and LREM, 1 HMGET of the state, 1 ZPOPMIN, 1 HINCRBY, 1 EXISTS,
-- 1 LPUSH of the token (+ LLEN/LRANGE and RPUSH/PEXPIRE with a group rate limit), besides the job's own reads.
-- A job of group g stopped holding one of its slots (settled, reaped, recovered, handed back). A token parked
-- because the group was full goes back in line (the producer end: its turn comes after the groups already in
-- line); a group with no token and nothing running is deleted. 1 HINCRBY + 1 HGET (+ HSET, LPUSH or DEL).
local function groupRelease(k, g)
  local sk = groupStateKey(k, g)
  local run = redis.call('HINCRBY', sk, 'running', -1)
  if run < 0 then
    -- Never expected (every start counts +1); a record changed by hand must not leave a negative count behind.
    redis.call('HSET', sk, 'running', 0)
    run = 0
  end
  local t = redis.call('HGET', sk, 'token')
  if not t then
    if run <= 0 then redis.call('DEL', sk) end
  elseif t == 'full' then
    redis.call('HSET', sk, 'token', 'ready')
    pushToken(k, g, false)
  end
end

-- Back-pressure for one group (a grouped job's RateLimitedError, a webhook's 429): none of its jobs starts before
-- untilMs, on any worker; other groups and ungrouped jobs go on. A later pause never shortens a longer one. The
-- claim that next takes the group's token parks it in {q}:groups:later until then.
local function groupThrottle(k, g, untilMs)
  local sk = groupStateKey(k, g)
  local current = tonumber(redis.call('HGET', sk, 'until') or '')
  if current == nil or untilMs > current then redis.call('HSET', sk, 'until', untilMs) end
end

-- Groups parked in later whose time has come: their tokens back at the consuming end of the ready list (at most
-- 1000 per call). Returns the earliest reopen time still pending, or nil. 1 ZRANGE per call on a queue whose groups
-- are not parked (an absent key for a queue without groups).
local function promoteGroups(k, now)
  local key = groupsLaterKey(k)
  local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if not head[2] then return nil end
  if tonumber(head[2]) > now then return tonumber(head[2]) end
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, 1000)
  for _, g in ipairs(due) do
    local sk = groupStateKey(k, g)
    if redis.call('HGET', sk, 'token') == 'later' then
      redis.call('HSET', sk, 'token', 'ready')
      pushToken(k, g, true)
    end
  end
  redis.call('ZREM', key, unpack(due))
  head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tonumber(head[2] or '')
end

-- Starts in the group's rate window (trimmed from the head in chunks, as flow_gate.lua does), and the oldest start.
local function groupRateUsed(k, g, now, per)
  local key = groupRateKey(k, g)
  local used = redis.call('LLEN', key)
  while used > 0 do
    local chunk = redis.call('LRANGE', key, 0, 99)
    local gone = 0
    while gone < #chunk and tonumber(chunk[gone + 1]) <= now - per do gone = gone + 1 end
    if gone > 0 then
      redis.call('LTRIM', key, gone, -1)
      used = used - gone
    end
    if gone < #chunk then return used, tonumber(chunk[gone + 1]) end
  end
  return 0, nil
end

local function groupPark(k, g, sk, untilMs)
  redis.call('HSET', sk, 'token', 'later')
  redis.call('ZADD', groupsLaterKey(k), untilMs, g)
  groupCount(k, 0, -1)
  if not k.groupLaterDue or untilMs < k.groupLaterDue then k.groupLaterDue = untilMs end
end
local function groupParkFull(k, sk)
  redis.call('HSET', sk, 'token', 'full')
  groupCount(k, 0, -1)
end
local function groupDropToken(k, g, sk, run)
  if run <= 0 then redis.call('DEL', sk) else redis.call('HDEL', sk, 'token') end
  redis.call('ZREM', groupsIndexKey(k), g)
  groupCount(k, 0, -1)
end

-- Claim took the token of group g (already out of every list). gl: the definition's group limits
-- { concurrency, rateMax, ratePer } (0 = none). Returns the local id to start and a state for groupAfterStart, or
-- nil when the group may not start one now (its token is then parked) or has none left (its token is dropped).
local function groupNext(k, g, now, gl)
  local sk = groupStateKey(k, g)
  local st = redis.call('HMGET', sk, 'token', 'running', 'until')
  local run = tonumber(st[2] or '0') or 0
  if st[1] ~= 'ready' then
    -- Not the group's token any more (never expected: there is one per group): dropped, counts unchanged.
    return nil
  end
  local throttled = tonumber(st[3] or '')
  if throttled and throttled > now then
    groupPark(k, g, sk, throttled)
    return nil
  end
  if gl.concurrency > 0 and run >= gl.concurrency then
    groupParkFull(k, sk)
    return nil
  end
  local used, head = 0, nil
  if gl.rateMax > 0 then
    used, head = groupRateUsed(k, g, now, gl.ratePer)
    if used >= gl.rateMax then
      groupPark(k, g, sk, head + gl.ratePer)
      return nil
    end
  end
  local popped = redis.call('ZPOPMIN', groupWaitKey(k, g))
  if not popped[1] then
    groupDropToken(k, g, sk, run)
    return nil
  end
  groupCount(k, -1, 0)
  return popped[1], { sk = sk, run = run, used = used, head = head }
end

-- After the claim tried to start the job groupNext gave (started: it did), the token goes back to the producer
-- end of wait (the group's next turn comes after every other group's), or is parked, or dropped.
local function groupAfterStart(k, g, now, gl, s, started)
  local run = s.run
  if started then
    run = redis.call('HINCRBY', s.sk, 'running', 1)
    if gl.rateMax > 0 then
      local key = groupRateKey(k, g)
      redis.call('RPUSH', key, now)
      redis.call('PEXPIRE', key, gl.ratePer)
      s.used = s.used + 1
      if not s.head then s.head = now end
    end
  end
  if redis.call('EXISTS', groupWaitKey(k, g)) == 0 then
    groupDropToken(k, g, s.sk, run)
  elseif gl.concurrency > 0 and run >= gl.concurrency then
    groupParkFull(k, s.sk)
  elseif gl.rateMax > 0 and s.used >= gl.rateMax then
    groupPark(k, g, s.sk, s.head + gl.ratePer)
  else
    redis.call('LPUSH', k.wait, GROUP_TOKEN .. g)
  end
end

