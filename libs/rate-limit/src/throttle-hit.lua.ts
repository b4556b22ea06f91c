// throttle-hit.lua, as a module: the script ships inside every build and every app that imports the lib.
export const THROTTLE_HIT_LUA = `-- A run of requests against one throttler, atomically, with the outcome each would have had one
-- after another: count them in a fixed window, and block the client for a while once it is over
-- the limit (the requests after the one that set the block are refused and not counted).
-- KEYS[1] hit counter, KEYS[2] block marker (same hash tag, so the same slot)
-- ARGV[1] window ms, ARGV[2] limit, ARGV[3] block ms (0 = block only for the rest of the window),
-- ARGV[4] requests in the run (1 or more)
-- Returns { hits after the run, ms left in the window, requests counted (0 = all refused, the
-- client was blocked already), ms left blocked (for the refused ones) }
local blockedFor = redis.call('PTTL', KEYS[2])
if blockedFor > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, math.max(redis.call('PTTL', KEYS[1]), 0), 0, blockedFor }
end
local limit = tonumber(ARGV[2])
local blockMs = tonumber(ARGV[3])
local counted = tonumber(ARGV[4])
if blockMs > 0 then
  -- Up to and including the first request over the limit: that one sets the block.
  local before = tonumber(redis.call('GET', KEYS[1]) or '0')
  counted = math.min(counted, math.max(limit - before, 0) + 1)
end
local hits = redis.call('INCRBY', KEYS[1], counted)
if hits == counted then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local windowLeft = redis.call('PTTL', KEYS[1])
if windowLeft < 0 then
  -- A counter without expiry (should not happen) must not block forever.
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  windowLeft = tonumber(ARGV[1])
end
if hits > limit and blockMs > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', blockMs)
  return { hits, windowLeft, counted, blockMs }
end
return { hits, windowLeft, counted, windowLeft }
`;
