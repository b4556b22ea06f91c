-- Adds a batch of counts in one call (one command for Node to encode, however many ids).
-- KEYS[1] a hash to HINCRBY ('' field set = none), KEYS[2] a ranking to ZINCRBY.
-- ARGV: ARGV[1] '1' when KEYS[1] is used, then member, amount, member, amount, ...
local withHash = ARGV[1] == '1'
for i = 2, #ARGV, 2 do
  local member, amount = ARGV[i], ARGV[i + 1]
  if withHash then
    redis.call('HINCRBY', KEYS[1], member, amount)
  end
  redis.call('ZINCRBY', KEYS[2], amount, member)
end
return (#ARGV - 1) / 2
