// cache-set.lua, as a module: the script ships inside every build and every app that imports the lib.
export const CACHE_SET_LUA = `-- Writes one cache entry, or a tombstone, atomically with the key's load lease.
-- KEYS[1] the entry, KEYS[2] its load lease (same hash tag, so the same slot)
-- ARGV[1] payload, ARGV[2] stamp ('' = unversioned), ARGV[3] ttl ms, ARGV[4] generations,
-- ARGV[5] logical expiry (epoch ms), ARGV[6] load time ms, ARGV[7] '1' for a tombstone,
-- ARGV[8] the loader's lease token ('' for a writer), ARGV[9] a rendering of the value ('' = none)
-- The entry is one string, so a read is one GET: a header line
-- <kind><stamp>|<generations>|<expiry>|<load ms>|<payload bytes> (kind 'v' a value, 't' a
-- tombstone), then the payload, then the rendering.
-- Returns 1 when written, 0 when refused.
local token = ARGV[8]
if token ~= '' then
  -- A loader may only store while it still holds its lease: any write since it began loading
  -- deleted the lease, so the row it read may be older than the database now.
  if redis.call('GET', KEYS[2]) ~= token then
    return 0
  end
end
local incoming = ARGV[2]
if incoming ~= '' then
  -- Stamps (row versions) only move forward.
  local current
  local head = redis.pcall('GETRANGE', KEYS[1], 0, 31)
  if type(head) == 'string' then
    current = string.match(head, '^[vt](%d+)|')
  else
    -- An entry a release before 2026-12-02 stored, as a hash.
    current = redis.call('HGET', KEYS[1], 's')
  end
  if current and tonumber(current) > tonumber(incoming) then
    return 0
  end
end
redis.call('DEL', KEYS[2])
local entry
if ARGV[7] == '1' then
  entry = 't' .. incoming .. '|' .. ARGV[4] .. '|0|0|0\\n'
else
  entry = 'v' .. incoming .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. ARGV[6] .. '|' .. #ARGV[1] .. '\\n' .. ARGV[1] .. ARGV[9]
end
redis.call('SET', KEYS[1], entry, 'PX', ARGV[3])
return 1
`;
