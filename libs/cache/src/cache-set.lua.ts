// cache-set.lua, as a module: the script ships inside every build and every app that imports the lib.
export const CACHE_SET_LUA = `-- Writes one cache entry, or a tombstone, atomically with the key's load lease.
-- KEYS[1] entry hash, KEYS[2] the entry's load lease (same hash tag, so the same slot)
-- ARGV[1] payload, ARGV[2] stamp ('' = unversioned), ARGV[3] ttl ms, ARGV[4] generations,
-- ARGV[5] logical expiry (epoch ms), ARGV[6] load time ms, ARGV[7] '1' for a tombstone,
-- ARGV[8] the loader's lease token ('' for a writer), ARGV[9] a rendering of the value ('' = none)
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
  local current = redis.call('HGET', KEYS[1], 's')
  if current and tonumber(current) > tonumber(incoming) then
    return 0
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
if ARGV[7] == '1' then
  redis.call('HSET', KEYS[1], 't', '1', 'g', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'p', ARGV[1], 'g', ARGV[4], 'e', ARGV[5], 'd', ARGV[6])
  if ARGV[9] ~= '' then
    redis.call('HSET', KEYS[1], 'r', ARGV[9])
  end
end
if incoming ~= '' then
  redis.call('HSET', KEYS[1], 's', incoming)
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;
