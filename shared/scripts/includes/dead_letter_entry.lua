-- @include dead_letter
-- Dead-letters a wait-list entry that cannot be run at all, right here in Lua: one that is not a job id (garbage,
-- empty, not even UTF-8 — only Lua sees its exact bytes), whose record is missing, or whose key is not a hash.
-- The record goes under the entry itself when that is a usable id, else under an id derived from the entry's
-- bytes, so the dead-letter is readable through the API either way. keepId: the entry is a job id whose record
-- could not be read but is no key of its own (a fresh job's packed form): the dead-letter keeps the id.
local function deadLetterEntry(k, jobPrefix, entry, reason, message, now, ttl, keepId)
  redis.call('LREM', k.active, 1, entry)
  -- A readable record (unknown state) keeps its id and its fields; anything else gets a new record.
  local keep = keepId or reason == 'missing_record' or reason == 'invalid_state'
  local id = entry
  if not keep then id = string.sub(redis.sha1hex(entry), 1, 16) end
  local key = jobPrefix .. id
  if not keep then redis.call('DEL', key) end
  local err = cjson.encode({ message = message, reason = reason, raw = string.sub(entry, 1, 200) })
  deadLetter(k, key, id, err, now, ttl)
end
