-- Writes one cache entry unless the cached one is newer: stamps (row versions) only move forward,
-- so a reader that loaded an old row can never overwrite a newer value or tombstone.
-- KEYS[1] entry hash
-- ARGV[1] payload, ARGV[2] stamp ('' = unversioned), ARGV[3] ttl ms, ARGV[4] generations,
-- ARGV[5] logical expiry (epoch ms), ARGV[6] load time ms, ARGV[7] '1' for a tombstone
local incoming = ARGV[2]
if incoming ~= '' then
  local current = redis.call('HGET', KEYS[1], 's')
  if current and tonumber(current) > tonumber(incoming) then
    return 0
  end
end
redis.call('DEL', KEYS[1])
if ARGV[7] == '1' then
  redis.call('HSET', KEYS[1], 't', '1', 'g', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'p', ARGV[1], 'g', ARGV[4], 'e', ARGV[5], 'd', ARGV[6])
end
if incoming ~= '' then
  redis.call('HSET', KEYS[1], 's', incoming)
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
