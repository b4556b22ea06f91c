// counters-add.lua, as a module: the script ships inside every build and every app that imports the lib.
export const COUNTERS_ADD_LUA = `-- Adds a batch of counts in one call (one argument for Node to encode, however many ids).
-- KEYS[1] a hash to HINCRBY, KEYS[2] a ranking to ZINCRBY.
-- ARGV[1] '1' when KEYS[1] is used, ARGV[2] the most members the ranking keeps ('0': no bound),
-- ARGV[3] a JSON array: member, amount, member, amount, ...
local withHash = ARGV[1] == '1'
local keep = tonumber(ARGV[2])
local counts = cjson.decode(ARGV[3])
for i = 1, #counts, 2 do
  local member, amount = counts[i], counts[i + 1]
  if withHash then
    redis.call('HINCRBY', KEYS[1], member, amount)
  end
  redis.call('ZINCRBY', KEYS[2], amount, member)
end
-- A ranking of what anyone may type (search terms) keeps its top members only.
if keep > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -keep - 1)
end
return #counts / 2
`;
