--[[ stats: one queue's counts without scanning jobs.
  KEYS[1] wait      LIST  waiting local ids
  KEYS[2] delayed   ZSET  delayed local ids
  KEYS[3] dead      ZSET  dead-lettered local ids
  KEYS[4] stats     HASH  counters (completed, failed, dead, stalled)
  KEYS[5] workers   ZSET  registered workers
  ARGV[1] in-flight list prefix
  returns { waiting, delayed, active, deadListed, workers, counters flat [field, value, ...] }
]]
local active = 0
local workers = redis.call('ZRANGE', KEYS[5], 0, -1)
for _, worker in ipairs(workers) do
  active = active + redis.call('LLEN', ARGV[1] .. worker)
end
return {
  redis.call('LLEN', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
  active,
  redis.call('ZCARD', KEYS[3]),
  #workers,
  redis.call('HGETALL', KEYS[4]),
}
