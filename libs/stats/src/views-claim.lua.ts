// views-claim.lua, as a module: the script ships inside every build and every app that imports the lib.
export const VIEWS_CLAIM_LUA = `-- Hands the counts not yet written to MySQL to one flush, crash-safely.
-- KEYS[1] pending hash, KEYS[2] in-flight hash (same hash tag). ARGV[1] a new flush id.
-- A batch left in flight by a flusher that died is handed out again, with its original id, so
-- MySQL (which remembers applied ids) can tell whether it was already applied.
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {}
  end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[2], '__flush', ARGV[1])
end
return redis.call('HGETALL', KEYS[2])
`;
