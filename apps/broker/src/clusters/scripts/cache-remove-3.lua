-- Removes one cluster from the cache.
-- KEYS[1] the cluster's hash, KEYS[2] the set of cached cluster names, KEYS[3] the cache generation
-- ARGV[1] the cluster name
-- Returns the new generation.
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[3])
