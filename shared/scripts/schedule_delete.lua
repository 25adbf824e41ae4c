--[[ schedule_delete: removes one schedule (its spec, its next fire time, its last run). Jobs it already created
  are untouched.
  KEYS[1] schedules HASH  schedule id -> spec JSON
  KEYS[2] due       ZSET  schedule id -> next fire (ms)
  KEYS[3] runs      HASH  schedule id -> last run
  ARGV[1] schedule id
  returns 1 when it existed, 0 otherwise
]]
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return existed
