-- schedule: the common case of a start in one step: claim the build for a queue and append it
-- there. A build claimed before (a duplicate, a retry) is only reported: the caller then appends
-- idempotently to the queue of that first claim (enqueue), or answers its pending state.
-- Spans two hash tags, the directory {d} and the queue {<queue>}: one EVALSHA on a standalone
-- Redis. On Redis Cluster the same outcome takes two calls, claim then enqueue (both idempotent).
-- KEYS[1] directory entry  KEYS[2] stream  KEYS[3] meta  KEYS[4] build hash  KEYS[5] build history
-- ARGV[1] buildId  ARGV[2] queue  ARGV[3] cluster  ARGV[4] message JSON  ARGV[5] wake channel
-- Returns {created 0|1, queue, cluster, directory state, start state}
local idx, stream, meta, h, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local cur = redis.call('HMGET', idx, 'q', 'c', 'st')
if cur[1] or cur[3] then
  return {0, cur[1] or '', cur[2] or '', cur[3] or '', ''}
end
ensure_group(stream, meta)
local id = redis.call('XADD', stream, '*', 'b', ARGV[1], 't', 's', 'm', ARGV[4])
local ms = id_ms(id)
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3], 'at', ms)
redis.call('HSET', h, 'sst', 'queued', 'sid', id, 'sat', 0, 'eq', ms, 'cl', ARGV[3])
redis.call('HINCRBY', meta, 'depth', 1)
redis.call('HINCRBY', meta, 'enq', 1)
hist(hk, ms, 'queued', ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[2] .. '\n1')
return {1, ARGV[2], ARGV[3], '', 'queued'}
