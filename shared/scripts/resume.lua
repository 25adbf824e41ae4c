--[[ resume: clears the paused flag and renames the paused list back to wait. RENAME onto a key that blocked
  BLMOVE clients wait for wakes them at once (Redis signals the key as ready), so no worker polls while paused.
  If wait exists meanwhile (markers pushed by producers, stray entries), its entries are first moved behind the
  paused ones (those were in line first), at most `chunk` per call, with the flag still set so new jobs keep
  going to the paused list; the caller repeats until `remaining` is 0, and the last call renames.
  KEYS[1] meta      HASH  queue settings: `paused` = "1" while paused
  KEYS[2] wait      LIST  waiting local ids (consumed from the RIGHT end)
  KEYS[3] paused    LIST  waiting local ids while paused
  KEYS[4] prio      ZSET  waiting local ids of another priority than the list's: if any, a marker wakes a worker
  ARGV[1] chunk: entries moved per call at most
  returns entries still to merge (0 = done, the queue runs again)
]]
-- @include prelude
local chunk = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  -- wait = [w1 .. wn], wn first in line: taking wait's RIGHT end onto paused's LEFT end, one by one, ends with
  -- [w1 .. wn p1 .. pm]: the paused entries (pm first) still run first, then wait's in their own order.
  for _ = 1, chunk do
    if not redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT') then break end
  end
  local left = redis.call('LLEN', KEYS[2])
  if left > 0 then return left end
end
redis.call('HDEL', KEYS[1], 'paused')
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[2])
elseif redis.call('EXISTS', KEYS[4]) == 1 then
  -- Only prio jobs wait: nothing to rename, so the marker wakes a blocked worker (its claim wakes the next).
  redis.call('RPUSH', KEYS[2], MARKER)
end
return 0
