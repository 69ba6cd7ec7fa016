-- renew: extends a lock (the pending builds' drain lock) only while it is still ours: once it
-- lapsed, another replica may hold it under its own token.
-- KEYS[1] lock
-- ARGV[1] token  ARGV[2] ttl ms
-- Returns 1 when extended, 0 when the lock is not ours (any more)
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
