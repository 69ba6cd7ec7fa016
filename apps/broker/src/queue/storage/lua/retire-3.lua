-- retire: the first step of deleting a cluster. Atomically with every append (schedule, enqueue,
-- requeue and stop check the mark), refuses while the queue holds anything, else marks it
-- retired with the caller's token, so no build can enter it from here on, on any replica. The
-- caller then deletes the row in PostgreSQL and seals the mark ('deleted'), or lifts it when the
-- delete failed; a mark whose broker died in between is lifted by the reconciler.
-- KEYS[1] meta  KEYS[2] leases  KEYS[3] dead
-- ARGV[1] token "deleting:<ms>:<random>"
-- Returns {1} retired, {0, queued, leased, dead} busy, {2, mark} already being deleted or deleted
local meta, leases, dead = KEYS[1], KEYS[2], KEYS[3]
local mark = redis.call('HGET', meta, 'gone')
if mark then return {2, mark} end
local queued, held, died = depth_of(meta), redis.call('ZCARD', leases), redis.call('ZCARD', dead)
if queued > 0 or held > 0 or died > 0 then return {0, queued, held, died} end
redis.call('HSET', meta, 'gone', ARGV[1])
return {1}
