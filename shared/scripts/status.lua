--[[ status: reads one job record, wherever it is: its own hash, else its packed form while it is fresh
  (includes/fresh.lua). A script rather than a bare HGETALL so both clients (ioredis over RESP3, Upstash over
  REST) get the same flat RESP2 array.
  KEYS[1] job       HASH  the job record
  KEYS[2] fresh     HASH  local id -> packed record of a waiting job never claimed
  ARGV[1] local id
  returns flat [field, value, ...] (empty when the job is unknown or expired)
]]
-- @include fresh
local flat = redis.call('HGETALL', KEYS[1])
if #flat > 0 then return flat end
local packed = redis.call('HGET', KEYS[2], ARGV[1])
if not packed then return flat end
return freshRecord(packed)
