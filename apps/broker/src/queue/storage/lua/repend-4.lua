-- repend: a build claimed or assigned for a queue that refused it (retired, or busy with pending
-- builds being assigned) goes back to the pending list, at its arrival place when it had one, else
-- at the arrival number the caller took, with a reason; it is then assigned like any pending build.
-- Only a build still in the journal the caller names (claims, or assigning) moves, so of two
-- brokers finishing the same claim one moves it, and one already appended or moved on stays.
-- KEYS[1] directory entry  KEYS[2] bucket's pending zset  KEYS[3] bucket's messages
-- KEYS[4] the journal holding the build (bucket's claims or assigning zset)
-- ARGV[1] buildId  ARGV[2] the queue that refused it  ARGV[3] message JSON  ARGV[4] reason
-- ARGV[5] arrival number when the build has none yet
-- Returns 1 when the build is pending again, else 0
local idx, pending, messages, journal = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if not redis.call('ZSCORE', journal, ARGV[1]) then return 0 end
local cur = redis.call('HMGET', idx, 'q', 'st', 'n')
if cur[1] ~= ARGV[2] or cur[2] then return 0 end
local n = tonumber(cur[3]) or tonumber(ARGV[5])
redis.call('HSET', idx, 'q', '', 'c', '', 'st', 'pending', 'r', ARGV[4], 'n', n)
redis.call('ZADD', pending, n, ARGV[1])
redis.call('HSET', messages, ARGV[1], ARGV[3])
redis.call('ZREM', journal, ARGV[1])
return 1
