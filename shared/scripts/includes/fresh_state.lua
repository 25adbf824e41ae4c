-- @include prelude
-- A job's state wherever its record is: its own hash, else `waiting` while it is fresh, else nil (unknown or gone).
local function jobState(fresh, jobKey, id)
  local state = redis.call('HGET', jobKey, F.state)
  if state then return state end
  if redis.call('HEXISTS', fresh, id) == 1 then return 'waiting' end
  return nil
end
