-- settle: an assigned build is in its queue now; drop it from the journal.
-- KEYS[1] assigning zset  KEYS[2] pending messages
-- ARGV[1] buildId
-- Returns 1
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
