--[[ enqueue_short: enqueue.lua's common case in a script of its own. Every job of the call is in enqueue's short
  form without a priority: the queue's own name, one maxAttempts for the call, no options, run now, no
  idempotency or dedupe key, the queue's list priority (ops/enqueue.ts sends any other call to enqueue). It writes
  the same record enqueue writes for such a job and pushes it to the same ready list (shared/test/protocol.test.ts
  compares the two), so readers, workers and re-sends cannot tell which script made a job. Why a second script:
  most of enqueue's time for a single job was running its own body (closures, tables, the parsing of 12-argument
  groups), not the 4 commands, and the edge sends the body with every EVAL (this one is a tenth of the size).
  Every job it creates is fresh (includes/fresh_pack.lua): its record is one field of `fresh`, not a hash of its own.
  Idempotent as enqueue: an id that already has a record, fresh or not, is reported with its state, not
  re-created; the same id twice in one call is one job. A single job takes a branch of its own (HGET, HSETNX,
  LPUSH: the table work of the batch loop was a tenth of a single call's Redis time).
  KEYS[1] wait      LIST  waiting local ids (LPUSH here; workers take from the right)
  KEYS[2] meta      HASH  queue settings (`paused`)
  KEYS[3] paused    LIST  waiting local ids while the queue is paused (LPUSH here instead of wait then)
  KEYS[4] fresh     HASH  local id -> packed record of a waiting job never claimed (includes/fresh.lua)
  ARGV[1] now (ms)
  ARGV[2] job key prefix          ("offload:{q}:job:")
  ARGV[3] maxAttempts of every job
  ARGV[4..] 2 per job: local id, data JSON
  returns N (a number) when every job was created (state "waiting"): the common reply, 1 integer instead of
  3 strings a job; otherwise N groups of 3 as enqueue's: local id, state, outcome ("created" | "existing")
]]
-- @include prelude
-- @include ready_list
-- @include fresh_pack
local now, jobPrefix, maxAttempts = ARGV[1], ARGV[2], ARGV[3]
local fresh = KEYS[4]
local readyKey = readyList({ meta = KEYS[2], wait = KEYS[1], paused = KEYS[3] })

-- One job (every single-job request): 3 commands after the pause flag, no tables. The record's state read and
-- HSETNX are the existence check (a record without a state is taken as absent, as enqueue does).
if #ARGV == 5 then
  local id = ARGV[4]
  local state = redis.call('HGET', jobPrefix .. id, F.state)
  if state then return { id, state, 'existing' } end
  if redis.call('HSETNX', fresh, id, freshPack(maxAttempts, now, '', '', ARGV[5])) == 0 then return { id, 'waiting', 'existing' } end
  redis.call('LPUSH', readyKey, id)
  return 1
end

local CHUNK = 1000 -- ids per EXISTS / LPUSH call, as in enqueue.lua
-- states[i]: the state of job i when it was not created (nil until a job of the call exists already).
local states
-- Ids of this call already handled: the same id twice in one call is one job (the second reported existing).
local seen = {}
for first = 4, #ARGV, 2 * CHUNK do
  local last = math.min(#ARGV, first + 2 * CHUNK - 1)
  local names = {}
  for a = first, last, 2 do names[#names + 1] = jobPrefix .. ARGV[a] end
  -- One EXISTS per chunk: when none exists (every call except a re-sent one), no job needs a read of its own. A
  -- fresh job of the chunk is found by its HSETNX.
  local anyExists = redis.call('EXISTS', unpack(names)) > 0
  local ready = {}
  for a = first, last, 2 do
    local id = ARGV[a]
    local state = seen[id]
    if not state and anyExists then state = redis.call('HGET', jobPrefix .. id, F.state) end
    if not state and redis.call('HSETNX', fresh, id, freshPack(maxAttempts, now, '', '', ARGV[a + 1])) == 0 then state = 'waiting' end
    if state then
      states = states or {}
      states[(a - 2) / 2] = state
    else
      ready[#ready + 1] = id
    end
    seen[id] = state or 'waiting'
  end
  -- LPUSH a b leaves the list as LPUSH a; LPUSH b would.
  if #ready > 0 then redis.call('LPUSH', readyKey, unpack(ready)) end
end
if not states then return (#ARGV - 3) / 2 end
local out = {}
for a = 4, #ARGV, 2 do
  local state = states[(a - 2) / 2]
  out[#out + 1] = ARGV[a]
  out[#out + 1] = state or 'waiting'
  out[#out + 1] = state and 'existing' or 'created'
end
return out
