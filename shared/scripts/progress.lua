--[[ progress: records a running job's progress (0-100), only while it is active on this worker.
  KEYS[1] job       HASH  the job record
  KEYS[2] active    LIST  this worker's in-flight ids
  ARGV[1] local id
  ARGV[2] progress
  returns 1 recorded, 0 the job is no longer ours
]]
-- @include prelude
if redis.call('HGET', KEYS[1], F.state) ~= 'active' then return 0 end
if not redis.call('LPOS', KEYS[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], F.progress, ARGV[2])
return 1
