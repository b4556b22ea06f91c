// throttle-hit.lua, as a module: the script ships inside every build and every app that imports the lib.
export const THROTTLE_HIT_LUA = `-- One request against one throttler, atomically: count it in a fixed window, and block the
-- client for a while once it is over the limit.
-- KEYS[1] hit counter, KEYS[2] block marker (same hash tag, so the same slot)
-- ARGV[1] window ms, ARGV[2] limit, ARGV[3] block ms (0 = block only for the rest of the window)
-- Returns { hits, ms left in the window, blocked (0/1), ms left blocked }
local blockedFor = redis.call('PTTL', KEYS[2])
if blockedFor > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockedFor }
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local windowLeft = redis.call('PTTL', KEYS[1])
if windowLeft < 0 then
  -- A counter without expiry (should not happen) must not block forever.
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  windowLeft = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  local blockMs = tonumber(ARGV[3])
  if blockMs > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', blockMs)
    return { hits, windowLeft, 1, blockMs }
  end
  return { hits, windowLeft, 1, windowLeft }
end
return { hits, windowLeft, 0, 0 }
`;
