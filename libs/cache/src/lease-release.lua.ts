// lease-release.lua, as a module: the script ships inside every build and every app that imports the lib.
export const LEASE_RELEASE_LUA = `-- Deletes a lease only for its owner, so a loader that overran its lease cannot free another's.
-- KEYS[1] lease key, ARGV[1] owner token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
