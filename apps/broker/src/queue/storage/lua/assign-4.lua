-- assign: a pending build found an eligible cluster. Only one broker wins (the build must still
-- be pending); the winner appends it to the queue (enqueue, mode 'assign', which marks the queue
-- so new posts for it queue behind), then settles. Until settled the build stays in the bucket's
-- "assigning" journal with its message, so a broker dying in between leaves work another
-- finishes (the append is idempotent).
-- KEYS[1] directory entry  KEYS[2] bucket's pending zset  KEYS[3] bucket's messages  KEYS[4] bucket's assigning zset
-- ARGV[1] buildId  ARGV[2] queue  ARGV[3] cluster
-- Returns {1, message JSON} when this call assigned it, else {0}
local idx, pending, messages, assigning = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('HGET', idx, 'st') ~= 'pending' then return {0} end
redis.call('ZREM', pending, ARGV[1])
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3])
redis.call('HDEL', idx, 'st', 'r')
redis.call('ZADD', assigning, now_ms(), ARGV[1])
return {1, redis.call('HGET', messages, ARGV[1]) or '{}'}
