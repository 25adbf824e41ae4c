-- @include prelude
-- @include tally
-- @include errors_history
-- Dead-letters a job: state dead with its last error (e) appended to its errors history (h), finishedAt, the
-- dead retention as the record's expiry, listed in the dead index, counted. Every path that kills a job comes
-- here (a dead settlement, too many stalls, poison), so each trims the dead index (once per call, in the tally).
-- Cost per job: HMGET (attempt, history) + HSET + PEXPIRE + ZADD.
-- k: needs k.dead (and what tally needs); key: the record key, id: its local id; err: error JSON.
local function deadLetter(k, key, id, err, now, ttl)
  local f = redis.call('HMGET', key, F.attempt, F.errors)
  redis.call('HSET', key, F.state, 'dead', F.error, err, F.finishedAt, now, F.errors, withError(f[2], err, f[1], now))
  redis.call('PEXPIRE', key, ttl)
  redis.call('ZADD', k.dead, now, id)
  trimDeadBefore(k, now - ttl)
  countOutcome(k, 'dead')
end
