-- @include prelude
-- Fresh jobs (PROTOCOL.md "Fresh jobs"): a job that waits in the ready list and was never claimed keeps its record
-- packed in one field of `{q}:fresh` (local id -> packed record) instead of a hash of its own. A key costs Redis
-- ≈ 100 bytes before it holds anything (its dict entry, key name, object header and allocation rounding); a field
-- of one big hash costs ≈ 40, so a waiting job is ≈ 60 bytes smaller. The first claim turns it into the ordinary
-- record (freshClaim), which every later state keeps.
-- Packed: "<maxAttempts> <createdAt> <data JSON>", or "<maxAttempts> <createdAt> +<#name>,<#options>,<name><options><data JSON>"
-- for a job with a name of its own or options ('+' never starts JSON). State "waiting" and version 1 are implied.

local function freshPack(maxAttempts, createdAt, name, options, data)
  if name == '' and options == '' then return maxAttempts .. ' ' .. createdAt .. ' ' .. data end
  return maxAttempts .. ' ' .. createdAt .. ' +' .. #name .. ',' .. #options .. ',' .. name .. options .. data
end

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

-- The record a packed job stands for, as the flat field/value array HGETALL of a record returns (status, listings).
local function freshRecord(packed)
  local m, c, name, options, data = freshUnpack(packed)
  if not m then return {} end
  local flat = { F.version, '1', F.data, data, F.state, 'waiting', F.maxAttempts, m, F.createdAt, c }
  if name then flat[#flat + 1] = F.name; flat[#flat + 1] = name end
  if options then flat[#flat + 1] = F.options; flat[#flat + 1] = options end
  return flat
end

-- A job's state wherever its record is: its own hash, else `waiting` while it is fresh, else nil (unknown or gone).
local function jobState(fresh, jobKey, id)
  local state = redis.call('HGET', jobKey, F.state)
  if state then return state end
  if redis.call('HEXISTS', fresh, id) == 1 then return 'waiting' end
  return nil
end
