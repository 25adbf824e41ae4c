-- @include prelude
-- Reading fresh jobs (the packed form and why: includes/fresh_pack.lua, PROTOCOL.md "Fresh jobs").

-- maxAttempts, createdAt, name (false: the queue's), options (false: none), data. nil for a value that is not packed.
local function freshUnpack(packed)
  local m, c, at = string.match(packed, '^(%d+) (%d+) ()')
  if not m then return nil end
  if string.byte(packed, at) ~= 43 then return m, c, false, false, string.sub(packed, at) end
  local nameLength, optionsLength, from = string.match(packed, '^%+(%d+),(%d+),()', at)
  if not nameLength then return nil end
  local nameEnd = from + tonumber(nameLength) - 1
  local optionsEnd = nameEnd + tonumber(optionsLength)
  local name, options = string.sub(packed, from, nameEnd), string.sub(packed, nameEnd + 1, optionsEnd)
  return m, c, name ~= '' and name, options ~= '' and options, string.sub(packed, optionsEnd + 1)
end

-- The record an unpacked job stands for, in `state`, as the flat field/value array HGETALL of a record returns.
local function freshFields(m, c, name, options, data, state)
  local flat = { F.version, '1', F.data, data, F.state, state, F.maxAttempts, m, F.createdAt, c }
  if name then flat[#flat + 1] = F.name; flat[#flat + 1] = name end
  if options then flat[#flat + 1] = F.options; flat[#flat + 1] = options end
  return flat
end

-- The record a packed job stands for (status, listings, cancel); {} when the packed value cannot be read.
local function freshRecord(packed)
  local m, c, name, options, data = freshUnpack(packed)
  if not m then return {} end
  return freshFields(m, c, name, options, data, 'waiting')
end

-- A fresh job's first claim (claim, claim_short): its record written whole, active, attempt 1, and its packed form
-- gone (HDEL + one HSET). Returns the claim reply's job tuple { localId, v, n, d, a, m, o, c, k }, or nil when the
-- packed value cannot be read (nothing changed: the caller dead-letters it).
local function freshClaim(fresh, key, id, packed, now)
  local m, c, name, options, data = freshUnpack(packed)
  if not m then return nil end
  redis.call('HDEL', fresh, id)
  local fields = freshFields(m, c, name, options, data, 'active')
  fields[#fields + 1] = F.startedAt; fields[#fields + 1] = now
  fields[#fields + 1] = F.attempt; fields[#fields + 1] = '1'
  redis.call('HSET', key, unpack(fields))
  return { id, '1', name, data, '1', m, options, c, false }
end
