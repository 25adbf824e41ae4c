-- @include prelude
-- Starting a job from its record, for claim and claim_short: the fields a claim reads and the reply's job tuple
-- are written once here, so the two scripts hand the worker the same envelope.

-- The record as a claim reads it: state, then the reply's fields v n d a m o c k. pcall: a key that is not a hash
-- comes back as { err = ... } for the caller to dead-letter.
local function claimRead(key)
  return redis.pcall('HMGET', key, F.state, F.version, F.name, F.data, F.attempt, F.maxAttempts, F.options, F.createdAt, F.stalls)
end

-- A waiting record read by claimRead made active (attempt + 1, startedAt); returns the reply's job tuple
-- { localId, v, n, d, a, m, o, c, k }.
local function claimStart(key, entry, f, now)
  local attempt = tostring((tonumber(f[5]) or 0) + 1)
  redis.call('HSET', key, F.state, 'active', F.startedAt, now, F.attempt, attempt)
  return { entry, f[2], f[3], f[4], attempt, f[6], f[7], f[8], f[9] }
end
