// lock-acquire.lua, as a module: the script ships inside every build and every app that imports the lib.
export const LOCK_ACQUIRE_LUA = `-- Grants the lock to ARGV[1] for ARGV[2] ms when it is free, with the next fencing token.
-- KEYS[1] lock, KEYS[2] the resource's fencing counter (same hash tag, so the same slot).
-- Returns the fencing token, or the negative ms left on the current holder's lease.
--
-- A token is never below the server's clock in microseconds: a counter lost with Redis's data
-- (FLUSHALL, a failover that dropped writes, an old RDB) starts again above every token issued
-- before, so the store, which keeps the newest token it applied, takes the next holder's writes.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local token = redis.call('INCR', KEYS[2])
  local time = redis.call('TIME')
  local floor = tonumber(time[1]) * 1000000 + tonumber(time[2])
  if token < floor then
    redis.call('SET', KEYS[2], floor)
    return floor
  end
  return token
end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then left = 1 end
return -left
`;
