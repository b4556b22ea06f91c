// session-touch.lua, as a module: the script ships inside every build and every app that imports the lib.
export const SESSION_TOUCH_LUA = `-- Reads a session and slides its expiry, in one call; never past its absolute end.
-- KEYS[1] session key. ARGV[1] sliding ttl ms, ARGV[2] now (epoch ms).
-- Returns the stored JSON, or false when missing or past its absolute end (then deleted).
local raw = redis.call('GET', KEYS[1])
if not raw then
  return false
end
local session = cjson.decode(raw)
local left = tonumber(session.expiresAt) - tonumber(ARGV[2])
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[1]), left))
return raw
`;
