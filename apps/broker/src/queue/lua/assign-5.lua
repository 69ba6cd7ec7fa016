-- assign: a pending build found an eligible cluster. Only one broker wins (the build must still
-- be pending); the winner appends it to the queue, then settles. Until settled the build stays in
-- the "assigning" journal with its message, so a broker dying in between leaves work another
-- finishes (the append is idempotent).
-- Each assignment marks its queue for a moment (zset member queue, score until when): new posts
-- for that queue then join the pending list behind the builds being assigned to it (schedule).
-- The drainer drops the marks when its drain is over; a dead drainer's lapse by themselves.
-- KEYS[1] directory entry  KEYS[2] pending zset  KEYS[3] pending messages  KEYS[4] assigning zset
-- KEYS[5] assigning marker
-- ARGV[1] buildId  ARGV[2] queue  ARGV[3] cluster  ARGV[4] how long the queue's mark lasts (ms)
-- Returns {1, message JSON} when this call assigned it, else {0}
local idx, pending, messages, assigning = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('HGET', idx, 'st') ~= 'pending' then return {0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[5], now + tonumber(ARGV[4]), ARGV[2])
redis.call('ZREM', pending, ARGV[1])
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3])
redis.call('HDEL', idx, 'st', 'r')
redis.call('ZADD', assigning, now, ARGV[1])
return {1, redis.call('HGET', messages, ARGV[1]) or '{}'}
