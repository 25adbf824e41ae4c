--[[ schedule_read: schedules of one queue with their next fire time and last run.
  KEYS[1] schedules HASH  schedule id -> spec JSON
  KEYS[2] due       ZSET  schedule id -> next fire (ms)
  KEYS[3] runs      HASH  schedule id -> "<last tick ms> <last local id>"
  ARGV[1] mode: "all" (every schedule: O(schedules), for listings) | "one" (ARGV[2] = schedule id) |
          "due" (those due at ARGV[2] = now (ms), at most ARGV[3]: what a worker's timer reads)
  ARGV[2] schedule id (one) or now (due)
  ARGV[3] limit (due)
  returns { earliest next fire of the queue (ms, -1 none), flat groups of 4: schedule id, spec JSON, next fire
            (ms, -1 none), last run ("" none) }
]]
local ids = {}
if ARGV[1] == 'all' then
  ids = redis.call('HKEYS', KEYS[1])
elseif ARGV[1] == 'one' then
  ids = { ARGV[2] }
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
end
local out = {}
for _, id in ipairs(ids) do
  local spec = redis.call('HGET', KEYS[1], id)
  if spec then
    out[#out + 1] = id
    out[#out + 1] = spec
    out[#out + 1] = tonumber(redis.call('ZSCORE', KEYS[2], id) or '-1')
    out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
  end
end
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return { tonumber(head[2] or '-1'), out }
