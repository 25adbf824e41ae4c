--[[ callbacks_take: one step of moving completion callbacks on (worker/src/callback-mover.ts). First forgets the
  entries the caller has already enqueued into the `callback` queue (HDEL: idempotent, so a step repeated after a
  lost reply is harmless), then returns the next chunk with each job's record, from which the caller builds the
  callback job (its status as GET /v1/jobs/{id} shows it). A chunk read twice (two workers, or a crash before the
  HDEL) is enqueued twice under the same derived id: the second is a no-op.
  KEYS[1] callbacks HASH  "<local id>:<outcome>" -> callback URL
  ARGV[1] job key prefix
  ARGV[2] chunk size (entries returned at most)
  ARGV[3..] entries to forget ("<local id>:<outcome>"), already enqueued
  returns { entry, URL, { record as HGETALL pairs } }... (a record that has expired comes back as {})
]]
local jobPrefix, chunk = ARGV[1], tonumber(ARGV[2])
if #ARGV > 2 then redis.call('HDEL', KEYS[1], unpack(ARGV, 3)) end
local out = {}
if chunk <= 0 then return out end
-- HSCAN from 0 each step: what was moved is gone, so a fresh scan finds the rest. A small hash (listpack) answers
-- in one go whatever COUNT says; the chunk bounds the reply either way.
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', chunk)
  cursor = page[1]
  local items = page[2]
  for i = 1, #items, 2 do
    if #out >= chunk then break end
    local entry, url = items[i], items[i + 1]
    local sep = string.find(entry, ':', 1, true)
    local record = {}
    if sep then record = redis.call('HGETALL', jobPrefix .. string.sub(entry, 1, sep - 1)) end
    out[#out + 1] = { entry, url, record }
  end
until cursor == '0' or #out >= chunk
return out
