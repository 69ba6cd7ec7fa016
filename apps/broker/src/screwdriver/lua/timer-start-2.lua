-- timer-start: arm a build's timeout once; a second start for the same build changes nothing.
-- KEYS[1] due zset  KEYS[2] the build's timer hash
-- ARGV[1] buildId  ARGV[2] deadline ms  ARGV[3] timer JSON
-- Returns 1 when armed, 0 when it already was.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'd', ARGV[3])
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]), ARGV[1])
return 1
