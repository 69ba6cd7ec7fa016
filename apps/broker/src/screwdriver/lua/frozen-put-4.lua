-- frozen-put: hold build b of job j until its freeze window ends; the job's older frozen build, if
-- any, is forgotten (one frozen build per job, as the queue-service keeps one per job).
-- KEYS[1] due zset  KEYS[2] the job's frozen hash  KEYS[3] hash buildId → jobId  KEYS[4] order zset
-- ARGV[1] jobId  ARGV[2] buildId  ARGV[3] until ms  ARGV[4] event JSON  ARGV[5] why  ARGV[6] now ms
-- Returns the build it replaced, or 0.
local old = redis.call('HGET', KEYS[2], 'b')
if old and old ~= ARGV[2] then redis.call('HDEL', KEYS[3], old) end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'b', ARGV[2], 'e', ARGV[4], 'u', ARGV[3], 'r', ARGV[5], 'at', ARGV[6], 'n', 0)
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
redis.call('ZADD', KEYS[4], tonumber(ARGV[6]), ARGV[1])
if old and old ~= ARGV[2] then return tonumber(old) end
return 0
