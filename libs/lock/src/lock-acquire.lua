-- Grants the lock to ARGV[1] for ARGV[2] ms when it is free, with the next fencing token.
-- KEYS[1] lock, KEYS[2] the resource's fencing counter (same hash tag, so the same slot).
-- Returns the fencing token, or the negative ms left on the current holder's lease.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then left = 1 end
return -left
