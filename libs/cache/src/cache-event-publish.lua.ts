// cache-event-publish.lua, as a module: the script ships inside every build and every app that imports the lib.
export const CACHE_EVENT_PUBLISH_LUA = `-- Numbers a cache event and publishes it from the node that holds the number, so every subscriber
-- receives the events in that order and can tell when it has missed one.
-- KEYS[1] sequence counter; ARGV[1] channel, ARGV[2] the envelope as a JSON object
-- Returns the event's number.
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2))
return seq
`;
