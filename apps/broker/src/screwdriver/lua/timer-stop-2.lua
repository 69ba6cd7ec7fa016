-- timer-stop: disarm a build's timeout (the build ended, or its timeout was acted on).
-- KEYS[1] due zset  KEYS[2] the build's timer hash
-- ARGV[1] buildId
-- Returns 1 when a timer was armed, 0 otherwise.
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('DEL', KEYS[2])
