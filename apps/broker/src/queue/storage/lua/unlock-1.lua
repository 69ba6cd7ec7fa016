-- unlock: deletes a lock (the pending builds' drain lock) only while it is ours: one that lapsed
-- and was taken by another replica stays.
-- KEYS[1] lock
-- ARGV[1] token
-- Returns 1 when deleted, 0 when the lock is not ours
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
