--[[ status: reads one job record. A script rather than a bare HGETALL so both clients (ioredis over RESP3,
  Upstash over REST) get the same flat RESP2 array.
  KEYS[1] job       HASH  the job record
  returns flat [field, value, ...] (empty when the job is unknown or expired)
]]
return redis.call('HGETALL', KEYS[1])
