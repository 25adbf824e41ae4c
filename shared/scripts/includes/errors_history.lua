-- @include prelude
-- The errors history of a record (field h): a JSON array of the last ERRORS_KEPT failed attempts' errors, oldest
-- first, each { message, stack?, reason?, attempt, at (ms) }. Field e keeps the last error as it always did.
-- Only failures pay for it (one HMGET of a and h by the caller, a cjson decode and encode): completions never.
-- Memory: up to ERRORS_KEPT stacks (truncated by the worker) in a record that failed that often; the last error
-- sits in both e and h, so e stays exactly what it always was and h is complete on its own.
-- historyJson: the current h (nil when absent); errJson: the error as stored in e.
local function withError(historyJson, errJson, attempt, now)
  local list = {}
  if historyJson then
    local ok, decoded = pcall(cjson.decode, historyJson)
    if ok and type(decoded) == 'table' then list = decoded end
  end
  local item = { attempt = tonumber(attempt) or 0, at = now }
  local ok, err = pcall(cjson.decode, errJson)
  if ok and type(err) == 'table' then
    item.message, item.stack, item.reason = err.message, err.stack, err.reason
  else
    item.message = errJson
  end
  list[#list + 1] = item
  while #list > ERRORS_KEPT do table.remove(list, 1) end
  return cjson.encode(list)
end
