--[[ schedule_upsert: writes recurring schedules of one queue. A schedule whose spec is unchanged keeps its next
  fire time (so a worker restart neither skips nor repeats a tick, and missed ticks stay visible for catch-up);
  a new or changed one starts at the given first fire time. In "code" mode the call carries ALL code-defined
  schedules of the queue: a code-defined schedule not among them was removed from code and is deleted here;
  schedules made through the API (source "api") are left alone.
  KEYS[1] schedules HASH  schedule id -> spec JSON
  KEYS[2] due       ZSET  schedule id -> next fire (ms)
  KEYS[3] runs      HASH  schedule id -> "<last tick ms> <last local id>"
  KEYS[4] wait      LIST  waiting local ids: an API change pushes the marker here, waking a blocked worker, whose
          tick then reads the new earliest fire (an idle worker otherwise ticks only every idle heartbeat)
  KEYS[5] meta      HASH  queue settings (`paused`)
  KEYS[6] paused    LIST  the marker goes here while paused (nothing blocks on it: the change is seen at the next tick)
  ARGV[1] mode: "code" (the full code-defined set) | "api" (the given schedules only)
  ARGV[2] number of schedules N
  ARGV[3..] N groups of 3: schedule id, spec JSON, first fire (ms; -1 = never fires)
  returns { earliest next fire of the queue (ms, -1 none), schedules removed }
]]
-- @include prelude
-- @include ready_list
local n = tonumber(ARGV[2])
local changed = false
local given = {}
for i = 0, n - 1 do
  local id, spec, first = ARGV[3 + i * 3], ARGV[4 + i * 3], tonumber(ARGV[5 + i * 3])
  given[id] = true
  local unchanged = redis.call('HGET', KEYS[1], id) == spec and redis.call('ZSCORE', KEYS[2], id)
  if not unchanged then
    changed = true
    redis.call('HSET', KEYS[1], id, spec)
    if first >= 0 then redis.call('ZADD', KEYS[2], first, id) else redis.call('ZREM', KEYS[2], id) end
  end
end

local removed = 0
if ARGV[1] == 'code' then
  -- O(schedules of this queue), once per worker start: decoding each spec is what tells code from API ones.
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local id = all[i]
    if not given[id] then
      local ok, spec = pcall(cjson.decode, all[i + 1])
      if not ok or type(spec) ~= 'table' or spec.source == 'code' then
        redis.call('HDEL', KEYS[1], id)
        redis.call('ZREM', KEYS[2], id)
        redis.call('HDEL', KEYS[3], id)
        removed = removed + 1
      end
    end
  end
end

if changed and ARGV[1] == 'api' then
  redis.call('RPUSH', readyList({ meta = KEYS[5], wait = KEYS[4], paused = KEYS[6] }), MARKER)
end

local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return { tonumber(head[2] or '-1'), removed }
