-- repend: a build claimed for a queue that was retired (its cluster deleted) before the build got
-- into it goes back to the pending list, at its arrival place when it had one, with a reason; it
-- is then assigned like any pending build. Nothing changes when the claim moved on meanwhile.
-- KEYS[1] directory entry  KEYS[2] pending zset  KEYS[3] pending messages  KEYS[4] assigning zset
-- KEYS[5] pending sequence
-- ARGV[1] buildId  ARGV[2] the retired queue  ARGV[3] message JSON  ARGV[4] reason
-- Returns 1 when the build is pending again, else 0
local idx, pending, messages, assigning, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local cur = redis.call('HMGET', idx, 'q', 'st', 'n')
if cur[1] ~= ARGV[2] or cur[2] then return 0 end
local n = tonumber(cur[3]) or redis.call('INCR', seq)
redis.call('HSET', idx, 'q', '', 'c', '', 'st', 'pending', 'r', ARGV[4], 'n', n)
redis.call('ZADD', pending, n, ARGV[1])
redis.call('HSET', messages, ARGV[1], ARGV[3])
redis.call('ZREM', assigning, ARGV[1])
return 1
