-- Where a job that is ready to run goes: the wait list, or the paused list while the queue is paused (pause
-- renames wait to paused, so workers blocked on wait keep blocking and nothing starts; resume renames it back,
-- which wakes them). One HGET per script call, not per job.
-- k: needs k.meta, k.wait, k.paused.
local function readyList(k)
  if redis.call('HGET', k.meta, 'paused') == '1' then return k.paused end
  return k.wait
end
