--[[ dead_list: one page of dead-lettered jobs, most recent death first, each with its last error. A script
  rather than ZREVRANGE + HGETs so the page and the errors come from one consistent moment in one round trip.
  KEYS[1] dead      ZSET  dead-lettered local id -> time of death (ms)
  ARGV[1] job key prefix
  ARGV[2] offset (0-based, from the most recent)
  ARGV[3] count
  returns { total, localId, diedAt (ms), error JSON ("" when the record has expired), ... }
]]
-- @include prelude
local offset, count = tonumber(ARGV[2]), tonumber(ARGV[3])
local page = redis.call('ZREVRANGE', KEYS[1], offset, offset + count - 1, 'WITHSCORES')
local out = { redis.call('ZCARD', KEYS[1]) }
for i = 1, #page, 2 do
  out[#out + 1] = page[i]
  out[#out + 1] = page[i + 1]
  out[#out + 1] = redis.call('HGET', ARGV[1] .. page[i], F.error) or ''
end
return out
