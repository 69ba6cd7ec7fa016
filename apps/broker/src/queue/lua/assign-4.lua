-- assign: a pending build found an eligible cluster. Only one broker wins (the build must still
-- be pending); the winner appends it to the queue, then settles. Until settled the build stays in
-- the "assigning" journal with its message, so a broker dying in between leaves work another
-- finishes (the append is idempotent).
-- KEYS[1] directory entry  KEYS[2] pending zset  KEYS[3] pending messages  KEYS[4] assigning zset
-- ARGV[1] buildId  ARGV[2] queue  ARGV[3] cluster
-- Returns {1, message JSON} when this call assigned it, else {0}
local idx, pending, messages, assigning = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('HGET', idx, 'st') ~= 'pending' then return {0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', pending, ARGV[1])
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3])
redis.call('HDEL', idx, 'st', 'r')
redis.call('ZADD', assigning, now, ARGV[1])
return {1, redis.call('HGET', messages, ARGV[1]) or '{}'}
