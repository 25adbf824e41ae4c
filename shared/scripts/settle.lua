--[[ settle: applies the outcomes of finished runs, a batch per call (settles of concurrent jobs are coalesced).
  Each outcome first removes the entry from this worker's in-flight list; if it is not there, another worker
  reaped it after our lease expired and may be running it now, so the outcome is dropped (at-least-once).
  KEYS[1] active    LIST  this worker's in-flight ids
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] delayed   ZSET  local id -> runAt
  KEYS[4] dead      ZSET  dead-lettered local id -> time of death
  KEYS[5] stats     HASH  counters
  KEYS[6] wake      STRING earliest runAt a worker knows about
  ARGV[1] now (ms)
  ARGV[2] job key prefix
  ARGV[3] number of outcomes N
  ARGV[4..] N groups of 6: entry (as in the in-flight list), record id (differs for a poison entry),
            kind ("completed" | "retry" | "dead" | "return"), payload (result JSON | error JSON | ""),
            runAt (ms, retry only), ttl (ms, completed/dead record retention)
  returns N integers: 1 applied, 0 dropped because the entry was no longer ours
]]
local now = tonumber(ARGV[1])
local jobPrefix, n = ARGV[2], tonumber(ARGV[3])
local out = {}
-- Counters are added up here and written once per call, not once per job.
local counts = { completed = 0, failed = 0, dead = 0 }

for i = 0, n - 1 do
  local base = 4 + i * 6
  local entry, id, kind, payload = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
  local runAt, ttl = tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5])
  local key = jobPrefix .. id
  -- Scan from the tail: the oldest claims sit there and usually finish first.
  if redis.call('LREM', KEYS[1], -1, entry) == 0 then
    out[#out + 1] = 0
  else
    if kind == 'completed' then
      -- The error of an earlier attempt stays: "completed on attempt 3 after <error>" is worth keeping.
      redis.call('HSET', key, 's', 'completed', 'f', now, 'x', payload)
      redis.call('PEXPIRE', key, ttl)
      counts.completed = counts.completed + 1
    elseif kind == 'retry' then
      redis.call('HSET', key, 's', 'delayed', 'e', payload, 'r', runAt)
      redis.call('ZADD', KEYS[3], runAt, id)
      counts.failed = counts.failed + 1
      -- The settling worker schedules its own wake-up for runAt; recording it spares producers a marker.
      local wake = tonumber(redis.call('GET', KEYS[6]) or '')
      if wake == nil or runAt < wake then redis.call('SET', KEYS[6], runAt) end
    elseif kind == 'dead' then
      redis.call('HSET', key, 's', 'dead', 'e', payload, 'f', now)
      redis.call('PEXPIRE', key, ttl)
      redis.call('ZADD', KEYS[4], now, id)
      -- The dead index forgets what its records have forgotten, so it never grows without bound.
      redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - ttl)
      counts.failed = counts.failed + 1
      counts.dead = counts.dead + 1
    elseif kind == 'return' then
      -- Not run to the end (shutdown): give the attempt back and put it first in line.
      redis.call('HSET', key, 's', 'waiting')
      redis.call('HINCRBY', key, 'a', -1)
      redis.call('RPUSH', KEYS[2], id)
    end
    out[#out + 1] = 1
  end
end
for counter, count in pairs(counts) do
  if count > 0 then redis.call('HINCRBY', KEYS[5], counter, count) end
end
return out
