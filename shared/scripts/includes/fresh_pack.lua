-- Fresh jobs (PROTOCOL.md "Fresh jobs"): a job that waits in the ready list and was never claimed keeps its record
-- packed in one field of `{q}:fresh` (local id -> packed record) instead of a hash of its own. A key costs Redis
-- ≈ 100 bytes before it holds anything (its dict entry, key name, object header and allocation rounding); a field
-- of one big hash costs ≈ 40, so a waiting job is ≈ 60 bytes smaller. The first claim turns it into the ordinary
-- record (freshClaim in includes/fresh.lua), which every later state keeps.
-- Packed: "<maxAttempts> <createdAt> <data JSON>", or "<maxAttempts> <createdAt> +<#name>,<#options>,<name><options><data JSON>"
-- for a job with a name of its own or options ('+' never starts JSON). State "waiting" and version 1 are implied.

local function freshPack(maxAttempts, createdAt, name, options, data)
  if name == '' and options == '' then return maxAttempts .. ' ' .. createdAt .. ' ' .. data end
  return maxAttempts .. ' ' .. createdAt .. ' +' .. #name .. ',' .. #options .. ',' .. name .. options .. data
end
