// throttle-hit.lua, as a module: the script ships inside every build and every app that imports the lib.
export const THROTTLE_HIT_LUA = `-- A run of requests against one throttler, atomically, with the outcome each would have had one
-- after another: count them in a fixed window, and block the client for a while once it is over
-- the limit (the requests after the one that set the block are refused and not counted).
-- A busy counter's instance may also reserve quota: it is added to the count at once and handed
-- out by the instance without asking (see DESIGN.md, Rate limiting). No request is refused while
-- another instance's reservation may still give quota back: those wait and retry instead.
-- KEYS[1] hit counter, KEYS[2] block marker, KEYS[3] reservations (instance -> ms when an
-- unsettled one counts as used); one hash tag, so one slot
-- ARGV[1] window ms, ARGV[2] limit, ARGV[3] block ms (0 = block only for the rest of the window),
-- ARGV[4] requests in the run (0 or more), ARGV[5] this instance, ARGV[6] quota to reserve (0 =
-- none), ARGV[7] the window of this instance's reservation being settled (0 = none), ARGV[8] its
-- unused quota, ARGV[9] how long a reservation is used (ms), ARGV[10] how much longer it may take
-- to be settled before it counts as used (ms)
-- Returns { hits after the run, ms left in the window, requests counted, ms left blocked (for the
-- refused ones), quota reserved (hit numbers after the run's), the window (its end, Redis ms),
-- ms until a reservation elsewhere settles or lapses (0 = the uncounted requests are refused) }
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = redis.call('PEXPIRETIME', KEYS[1])
local settling = tonumber(ARGV[7])
if settling ~= 0 then
  local lapses = redis.call('HGET', KEYS[3], ARGV[5])
  if lapses then
    redis.call('HDEL', KEYS[3], ARGV[5])
    -- Quota goes back only into the window it came from, and only while it still counts as held.
    local unused = tonumber(ARGV[8])
    if unused > 0 and settling == window and tonumber(lapses) > now then
      redis.call('DECRBY', KEYS[1], unused)
    end
  end
end
local blockedFor = redis.call('PTTL', KEYS[2])
if blockedFor > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, math.max(redis.call('PTTL', KEYS[1]), 0), 0, blockedFor, 0, window, 0 }
end
local limit = tonumber(ARGV[2])
local blockMs = tonumber(ARGV[3])
local requests = tonumber(ARGV[4])
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
local counted = requests
local waitMs = 0
if requests > 0 and before + requests > limit then
  -- Some of the run would be refused: not while quota reserved elsewhere may still come back.
  local held = redis.call('HGETALL', KEYS[3])
  for i = 1, #held, 2 do
    local left = tonumber(held[i + 1]) - now
    if left <= 0 then
      redis.call('HDEL', KEYS[3], held[i])
    elseif waitMs == 0 or left < waitMs then
      waitMs = left
    end
  end
  if waitMs > 0 then
    counted = math.max(limit - before, 0)
  elseif blockMs > 0 then
    -- Up to and including the first request over the limit: that one sets the block.
    counted = math.min(requests, math.max(limit - before, 0) + 1)
  end
end
local hits = before
if counted > 0 then
  hits = redis.call('INCRBY', KEYS[1], counted)
end
local windowLeft = redis.call('PTTL', KEYS[1])
if windowLeft < 0 then
  -- A new window (or a counter without expiry, which must not block forever).
  if windowLeft == -1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    window = redis.call('PEXPIRETIME', KEYS[1])
  end
  windowLeft = tonumber(ARGV[1])
end
if hits > limit and blockMs > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', blockMs)
  return { hits, windowLeft, counted, blockMs, 0, window, 0 }
end
local wanted = tonumber(ARGV[6])
local lease = tonumber(ARGV[9])
if wanted > 0 and waitMs == 0 and hits + wanted <= limit and windowLeft > lease then
  redis.call('INCRBY', KEYS[1], wanted)
  redis.call('HSET', KEYS[3], ARGV[5], now + lease + tonumber(ARGV[10]))
  redis.call('PEXPIREAT', KEYS[3], window)
  return { hits, windowLeft, counted, windowLeft, wanted, window, 0 }
end
return { hits, windowLeft, counted, windowLeft, 0, window, waitMs }
`;
