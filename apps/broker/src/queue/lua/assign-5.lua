-- assign: a pending build found an eligible cluster. Only one broker wins (the build must still
-- be pending); the winner appends it to the queue, then settles. Until settled the build stays in
-- the "assigning" journal with its message, so a broker dying in between leaves work another
-- finishes (the append is idempotent).
-- Each assignment (re)sets the marker that makes new posts queue behind the pending builds
-- (schedule); the drainer drops it when its drain is over, else it lapses.
-- KEYS[1] directory entry  KEYS[2] pending zset  KEYS[3] pending messages  KEYS[4] assigning zset
-- KEYS[5] assigning marker
-- ARGV[1] buildId  ARGV[2] queue  ARGV[3] cluster  ARGV[4] marker ttl ms
-- Returns {1, message JSON} when this call assigned it, else {0}
local idx, pending, messages, assigning = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('HGET', idx, 'st') ~= 'pending' then return {0} end
redis.call('SET', KEYS[5], '1', 'PX', ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', pending, ARGV[1])
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3])
redis.call('HDEL', idx, 'st', 'r')
redis.call('ZADD', assigning, now, ARGV[1])
return {1, redis.call('HGET', messages, ARGV[1]) or '{}'}
