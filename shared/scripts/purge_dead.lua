--[[ purge_dead: deletes dead letters that died before a time: their records and their dead-index entries, the
  oldest first, at most `chunk` per call (the caller loops until a call handles fewer). An index entry whose
  record is no longer dead (replayed meanwhile, stale entry) leaves the index but its record is kept.
  KEYS[1] dead      ZSET  dead-lettered local id -> time of death
  ARGV[1] job key prefix
  ARGV[2] upper bound of the time of death, exclusive: "(<ms>", or "+inf" for all
  ARGV[3] chunk: ids handled at most
  returns { index entries handled, dead letters purged }
]]
-- @include prelude
local jobPrefix, chunk = ARGV[1], tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, chunk)
local purged = 0
for _, id in ipairs(ids) do
  local key = jobPrefix .. id
  local state = redis.pcall('HGET', key, F.state)
  if state == 'dead' then
    redis.call('DEL', key)
    purged = purged + 1
  elseif not state then
    -- Its record had already expired: the dead letter is gone either way, count it once here.
    purged = purged + 1
  end
end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return { #ids, purged }
