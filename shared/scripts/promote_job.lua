--[[ promote_job: an operator's "run it now" for one delayed job (scheduled, or waiting out a retry backoff):
  out of the delayed set, runAt set to now, onto the consuming end of the ready list, as a due job would be
  promoted (so it is next in line, and a worker blocked on wait wakes). Any other state is reported, not
  changed. The wake key may still name the old runAt: a worker waking then finds nothing due and reschedules.
  KEYS[1] job       HASH  the job record
  KEYS[2] delayed   ZSET  local id -> runAt
  KEYS[3] meta      HASH  `paused` = "1" while paused
  KEYS[4] wait      LIST  waiting local ids
  KEYS[5] paused    LIST  waiting local ids while paused
  KEYS[6] prio      ZSET  waiting local ids of another priority than the list's (first in its priority)
  ARGV[1] local id
  ARGV[2] now (ms)
  returns { outcome, state }: "moved" with the new state | "conflict" with the current state | "missing"
]]
-- @include prelude
-- @include put_in_line
local f = redis.pcall('HMGET', KEYS[1], F.state, F.priority, F.group)
local state = type(f) == 'table' and not f.err and f[1] or nil
if type(state) ~= 'string' then return { 'missing', '' } end
if state ~= 'delayed' then return { 'conflict', state } end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], F.state, 'waiting', F.runAt, ARGV[2])
local k = { meta = KEYS[3], wait = KEYS[4], paused = KEYS[5], prio = KEYS[6] }
putInLine(k, ARGV[1], storedPriority(f[2]), true, f[3] or nil)
return { 'moved', 'waiting' }
