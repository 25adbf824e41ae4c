-- Completion callbacks (shared/src/callbacks.ts): a job that finishes with an outcome its callback asks for
-- leaves "<local id>:<outcome>" -> URL in {q}:callbacks, written in the same call that settles it, so nothing can
-- be lost between recording the outcome and sending the callback. The `callback` queue lives in another slot, so
-- no script here can create the callback job; a worker moves the entry there afterwards (callbacks_take).
-- options: the record's `o` (options JSON, or nil). Only a job whose options name a callback pays for the cjson
-- decode and the HSET; the caller pays the read of `o` (an HGET for a completion, a field of the HMGET a death
-- does anyway). Returns true when it wrote an entry.
-- k: needs k.callbacks.
local function recordCallback(k, id, outcome, options)
  if not options or not string.find(options, '"callback"', 1, true) then return false end
  local ok, o = pcall(cjson.decode, options)
  if not ok or type(o) ~= 'table' or type(o.callback) ~= 'string' then return false end
  if type(o.callbackOn) == 'table' then
    local wanted = false
    for _, on in ipairs(o.callbackOn) do
      if on == outcome then wanted = true end
    end
    if not wanted then return false end
  end
  redis.call('HSET', k.callbacks, id .. ':' .. outcome, o.callback)
  return true
end
