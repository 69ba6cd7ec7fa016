-- rules-queued: a build let go by the rules is in its cluster's queue now; drop it from the journal.
-- KEYS[1] base of the rules keys (see rules-admit)
-- ARGV[1] buildId
-- Returns 1
redis.call('ZREM', KEYS[1] .. 'admitting', ARGV[1])
redis.call('HDEL', KEYS[1] .. 'am', ARGV[1])
return 1
