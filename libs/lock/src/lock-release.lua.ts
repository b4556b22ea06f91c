// lock-release.lua, as a module: the script ships inside every build and every app that imports the lib.
export const LOCK_RELEASE_LUA = `-- Frees the lock only for its owner.
-- KEYS[1] lock, ARGV[1] owner token. Returns 1 when released, 0 when not the owner.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
