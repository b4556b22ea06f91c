// recent-push.lua, as a module: the script ships inside every build and every app that imports the lib.
export const RECENT_PUSH_LUA = `-- Puts a user's latest views on their recently-viewed list in one call: newest first, no repeats,
-- at most ARGV[1] entries, forgotten ARGV[2] ms after the last view.
-- KEYS[1] the user's list; ARGV[3..] product ids, oldest view first.
local key = KEYS[1]
for i = 3, #ARGV do
  redis.call('LREM', key, 0, ARGV[i])
  redis.call('LPUSH', key, ARGV[i])
end
redis.call('LTRIM', key, 0, tonumber(ARGV[1]) - 1)
redis.call('PEXPIRE', key, ARGV[2])
return 1
`;
