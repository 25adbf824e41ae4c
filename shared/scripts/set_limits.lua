--[[ set_limits: sets or clears a queue's runtime flow-control override (admin API), and returns the override
  and back-pressure fields as they are now. Claims read them on their next call (flow_gate.lua): the change
  applies fleet-wide at once, with no worker restart. Clearing a concurrency override may free slots, so
  workers waiting for one are woken (they re-read the limits with their claim).
  KEYS[1] meta      HASH  queue settings (FLOW_META fields)
  KEYS[2] gateWake  LIST  wake-up markers for workers waiting for a concurrency slot
  ARGV[1] rate: "<max>/<per ms>" to set, "" to clear, "-" to leave as it is
  ARGV[2] concurrency: a whole number to set, "" to clear, "-" to leave as it is
  returns { rate override or false, concurrency override or false, throttledUntil or false }
]]
-- @include prelude
-- @include flow_gate
local k = { meta = KEYS[1], gateWake = KEYS[2] }
local fields = { FLOW.rate, FLOW.concurrency }
for i, field in ipairs(fields) do
  if ARGV[i] == '' then
    redis.call('HDEL', KEYS[1], field)
  elseif ARGV[i] ~= '-' then
    redis.call('HSET', KEYS[1], field, ARGV[i])
  end
end
-- A new limit may be higher (or gone): whoever waits for capacity re-reads it with a claim.
redis.call('HSET', KEYS[1], FLOW.slotWaiters, '1')
flowWake(k, 16)
return redis.call('HMGET', KEYS[1], FLOW.rate, FLOW.concurrency, FLOW.throttledUntil)
