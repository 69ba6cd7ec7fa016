-- frozen-drop: forget job j's frozen build: it was started, stopped, or a newer build of the job came.
-- KEYS[1] due zset  KEYS[2] the job's frozen hash  KEYS[3] hash buildId → jobId  KEYS[4] order zset
-- ARGV[1] jobId  ARGV[2] buildId, or '' for whichever build is frozen
-- Returns the build forgotten, or 0 (none, or another build of the job is frozen now).
local b = redis.call('HGET', KEYS[2], 'b')
if not b then return 0 end
if ARGV[2] ~= '' and ARGV[2] ~= b then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[3], b)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return tonumber(b)
