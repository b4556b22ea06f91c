// views-claim.lua, as a module: the script ships inside every build and every app that imports the lib.
export const VIEWS_CLAIM_LUA = `-- Hands the counts not yet written to MySQL to one flush, crash-safely; returns its flush id, or
-- false when there is nothing to write. The counts are then read page by page (HSCAN): one
-- HGETALL of every viewed product held Redis for milliseconds.
-- KEYS[1] pending hash, KEYS[2] in-flight hash (same hash tag). ARGV[1] a new flush id.
-- A batch left in flight by a flusher that died is handed out again, with its original id, so
-- MySQL (which remembers applied ids) can tell whether it was already applied.
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return false
  end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[2], '__flush', ARGV[1])
end
local id = redis.call('HGET', KEYS[2], '__flush')
if not id then
  redis.call('HSET', KEYS[2], '__flush', ARGV[1])
  id = ARGV[1]
end
return id
`;
