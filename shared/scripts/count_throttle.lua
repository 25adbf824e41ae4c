--[[ count_throttle: counts a throttled run of a job that is active on this worker, so that throttled runs, which
  spend no attempt, stay bounded (FREE_THROTTLES in worker/src/outcome.ts). Its own call, not part of the
  settlement: it is paid only by runs that ended throttled, and those pause the queue anyway.
  KEYS[1] job       HASH  the job record
  KEYS[2] active    LIST  this worker's in-flight ids
  ARGV[1] local id
  returns the job's throttled runs so far, this one included; 0 when the job is no longer ours
]]
-- @include prelude
if redis.call('HGET', KEYS[1], F.state) ~= 'active' then return 0 end
if not redis.call('LPOS', KEYS[2], ARGV[1]) then return 0 end
return redis.call('HINCRBY', KEYS[1], F.throttles, 1)
