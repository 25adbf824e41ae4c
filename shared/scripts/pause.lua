--[[ pause: marks the queue paused and moves its wait list aside, so no worker starts a job from it. Workers
  blocked in BLMOVE on wait keep blocking (the key is simply gone): nothing polls while paused. Enqueues go on
  (every script that makes a job ready pushes to the paused list while the flag is set, see ready_list.lua).
  Normally one RENAME, O(1) whatever the depth. Only if a paused list already exists (a pause after an
  unfinished resume, or stray entries) are wait's entries moved over, at most `chunk` per call, ahead of the
  paused ones (they were in line first); the caller repeats until `remaining` is 0.
  KEYS[1] meta      HASH  queue settings: `paused` = "1"
  KEYS[2] wait      LIST  waiting local ids (consumed from the RIGHT end)
  KEYS[3] paused    LIST  waiting local ids while paused
  ARGV[1] chunk: entries moved per call at most
  returns entries still in wait (0 = done)
]]
local chunk = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'paused', '1')
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('RENAME', KEYS[2], KEYS[3])
  return 0
end
-- wait = [w1 .. wn] with wn first in line: moving the LEFT end onto paused's RIGHT end, one by one, puts wn at
-- paused's right end, ahead of the paused entries, in the same order.
for _ = 1, chunk do
  if not redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT') then break end
end
return redis.call('LLEN', KEYS[2])
