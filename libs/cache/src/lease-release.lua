-- Deletes a lease only for its owner, so a loader that overran its lease cannot free another's.
-- KEYS[1] lease key, ARGV[1] owner token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
