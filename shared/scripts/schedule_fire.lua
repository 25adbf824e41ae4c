--[[ schedule_fire: creates the job(s) of one schedule's due tick(s) and moves its next fire time, by
  compare-and-set: only if the schedule's next fire is still the one the caller read and its spec is unchanged.
  So when several workers fire the same tick, the first moves the time and creates the job, the others change
  nothing. The local id of a tick's job derives from the schedule id and the tick time (schedules/ids.ts), and
  an id that already exists is not created again: even a fire that passed the check twice makes one job a tick.
  KEYS[1] schedules HASH  schedule id -> spec JSON
  KEYS[2] due       ZSET  schedule id -> next fire (ms)
  KEYS[3] runs      HASH  schedule id -> "<last tick ms> <last local id>"
  KEYS[4] wait      LIST  waiting local ids
  KEYS[5] meta      HASH  queue settings (`paused`)
  KEYS[6] paused    LIST  waiting local ids while paused
  KEYS[7] prio      ZSET  waiting local ids of a priority other than the list priority (priority.lua)
  ARGV[1] now (ms)
  ARGV[2] job key prefix
  ARGV[3] schedule id
  ARGV[4] expected next fire (ms): the compare of compare-and-set
  ARGV[5] expected spec JSON
  ARGV[6] new next fire (ms; -1 = the schedule has no further tick)
  ARGV[7] data JSON
  ARGV[8] maxAttempts
  ARGV[9] options JSON ("" = none)
  ARGV[10] priority (1-10; 0 = the queue's list priority: the wait list, no P field; as enqueue's)
  ARGV[11] number of ticks M (0 = skip the missed ticks, catchUp "none")
  ARGV[12..] M groups of 2: tick time (ms), local id; oldest first
  returns { 1 fired | 0 lost the compare, jobs created, earliest next fire of the queue (ms, -1 none) }
]]
-- @include prelude
-- @include ready_list
-- @include priority
local id = ARGV[3]
local function earliest()
  local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return tonumber(head[2] or '-1')
end

local score = redis.call('ZSCORE', KEYS[2], id)
if not score or tonumber(score) ~= tonumber(ARGV[4]) or redis.call('HGET', KEYS[1], id) ~= ARGV[5] then
  return { 0, 0, earliest() }
end

local now, jobPrefix, m = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[11])
local priority = storedPriority(ARGV[10])
local k = { meta = KEYS[5], wait = KEYS[4], paused = KEYS[6], prio = KEYS[7] }
local ready = readyList(k)
k.ready = ready
local created = 0
for i = 0, m - 1 do
  local tick, localId = ARGV[12 + i * 2], ARGV[13 + i * 2]
  local key = jobPrefix .. localId
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, F.version, '1', F.data, ARGV[7], F.state, 'waiting', F.maxAttempts, ARGV[8], F.createdAt, now)
    if ARGV[9] ~= '' then redis.call('HSET', key, F.options, ARGV[9]) end
    if priority then
      -- Another priority: P in the record and the back of its priority in the zset (oldest tick first, FIFO).
      redis.call('HSET', key, F.priority, priority)
      pushPriority(k, localId, priority, false)
    else
      -- LPUSH: the oldest tick of a catch-up is consumed first, behind the jobs already waiting.
      redis.call('LPUSH', ready, localId)
    end
    created = created + 1
  end
  redis.call('HSET', KEYS[3], id, tick .. ' ' .. localId)
end

-- A blocked worker waits on the wait list only: wake one for a job that went to the zset.
wakeForPriority(k)

local nextFire = tonumber(ARGV[6])
if nextFire >= 0 then redis.call('ZADD', KEYS[2], nextFire, id) else redis.call('ZREM', KEYS[2], id) end
return { 1, created, earliest() }
