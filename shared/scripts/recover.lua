--[[ recover: hands back entries in this worker's in-flight list that the process does not know it holds. They
  appear when a reply is lost: a BLMOVE or claim that ran on the server while the connection dropped. The job is
  safe in the list either way (it is never only in memory); this puts it back in line without waiting for a
  lease to expire, which for a live worker would be never.
  KEYS[1] active    LIST  this worker's in-flight ids
  KEYS[2] wait      LIST  waiting local ids
  KEYS[3] meta      HASH  queue settings (`paused`)
  KEYS[4] paused    LIST  waiting local ids while the queue is paused (entries are handed back here then)
  KEYS[5] gateWake  LIST  wake-up markers for workers waiting for a concurrency slot (flow_gate.lua)
  KEYS[6] prio      ZSET  waiting ids of another priority than the list's (such a job is handed back here)
  ARGV[1] job key prefix
  ARGV[2..] entries the process holds (running, or with a settlement on its way)
  returns number of entries handed back
]]
-- @include prelude
-- @include hand_back
-- @include flow_gate
-- @include groups
local known = {}
for i = 2, #ARGV do known[ARGV[i]] = true end
local k = { active = KEYS[1], wait = KEYS[2], meta = KEYS[3], paused = KEYS[4], gateWake = KEYS[5], prio = KEYS[6] }
local handedBack = 0
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
for _, entry in ipairs(entries) do
  if not known[entry] then
    redis.call('LREM', KEYS[1], 1, entry)
    if entry ~= MARKER then
      local key = ARGV[1] .. entry
      -- A claim whose reply was lost already counted an attempt; give it back, the job never ran.
      local f = redis.pcall('HMGET', key, F.state, F.priority, F.group)
      if type(f) == 'table' and not f.err and f[1] == 'active' then
        handBack(k, key, entry, storedPriority(f[2]), f[3] or nil)
      else
        pushReady(k, entry)
      end
      handedBack = handedBack + 1
    end
  end
end
-- What we handed back held concurrency slots (flow_gate.lua counts in-flight lists).
flowWake(k, handedBack)
wakeForPriority(k)
flushGroups(k)
flushGroupCounts(k)
return handedBack
