// lock-extend.lua, as a module: the script ships inside every build and every app that imports the lib.
export const LOCK_EXTEND_LUA = `-- Renews the lease only for its owner.
-- KEYS[1] lock, ARGV[1] owner token, ARGV[2] new lease ms. Returns 1 when renewed, 0 when lost.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;
