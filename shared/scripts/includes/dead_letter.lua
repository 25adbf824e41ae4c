-- @include prelude
-- @include tally
-- @include errors_history
-- @include callback_record
-- Dead-letters a job: state dead with its last error (e) appended to its errors history (h), finishedAt, the
-- dead retention as the record's expiry, listed in the dead index, counted. Every path that kills a job comes
-- here (a dead settlement, too many stalls, poison), so each trims the dead index (once per call, in the tally).
-- Cost per job: HMGET (attempt, history, options) + HSET + PEXPIRE + ZADD; a job with a callback for `dead` also
-- leaves its entry in {q}:callbacks (callback_record). Returns true when it did.
-- k: needs k.dead, k.callbacks (and what tally needs); key: the record key, id: its local id; err: error JSON.
local function deadLetter(k, key, id, err, now, ttl)
  local f = redis.call('HMGET', key, F.attempt, F.errors, F.options)
  redis.call('HSET', key, F.state, 'dead', F.error, err, F.finishedAt, now, F.errors, withError(f[2], err, f[1], now))
  redis.call('PEXPIRE', key, ttl)
  redis.call('ZADD', k.dead, now, id)
  trimDeadBefore(k, now - ttl)
  countOutcome(k, 'dead')
  return recordCallback(k, id, 'dead', f[3])
end
