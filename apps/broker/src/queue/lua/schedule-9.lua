-- schedule: the common case of a start in one step: claim the build for a queue and append it
-- there. A build claimed before (a duplicate, a retry) is only reported: the caller then appends
-- idempotently to the queue of that first claim (enqueue), or answers its pending state.
-- Spans two hash tags, the directory {d} and the queue {<queue>}: one EVALSHA on a standalone
-- Redis. On Redis Cluster the same outcome takes two calls, claim then enqueue (both idempotent).
-- While pending builds are being assigned to this queue (the drainer's mark, see assign), a new
-- build for it joins the pending list behind them instead, so it never overtakes them; the
-- drainer assigns it in its turn. Other queues are not affected.
-- KEYS[1] directory entry  KEYS[2] stream  KEYS[3] meta  KEYS[4] build hash  KEYS[5] build history
-- KEYS[6] pending zset  KEYS[7] pending messages  KEYS[8] pending sequence  KEYS[9] assigning marks
-- ARGV[1] buildId  ARGV[2] queue  ARGV[3] cluster  ARGV[4] message JSON  ARGV[5] wake channel
-- ARGV[6] pending reason
-- Returns {created 0|1, queue, cluster, directory state, start state}, {2} when the queue was
-- retired (its cluster is being deleted, or was): nothing claimed, the caller chooses again, or
-- {3} when it was claimed as pending behind the builds being assigned.
local idx, stream, meta, h, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local pending, messages, seq, marker = KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local cur = redis.call('HMGET', idx, 'q', 'c', 'st')
if cur[1] or cur[3] then
  return {0, cur[1] or '', cur[2] or '', cur[3] or '', ''}
end
if redis.call('HEXISTS', meta, 'gone') == 1 then return {2} end
local marked = redis.call('ZSCORE', marker, ARGV[2])
local now = now_ms()
if marked and tonumber(marked) > now and redis.call('ZCARD', pending) > 0 then
  local n = redis.call('INCR', seq)
  redis.call('HSET', idx, 'q', '', 'c', '', 'st', 'pending', 'r', ARGV[6], 'at', now, 'n', n)
  redis.call('ZADD', pending, n, ARGV[1])
  redis.call('HSET', messages, ARGV[1], ARGV[4])
  return {3}
end
ensure_group(stream, meta)
local id, o = append(stream, meta, ARGV[1], 's', ARGV[4])
local ms = id_ms(id)
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3], 'at', ms)
redis.call('HSET', h, 'sst', 'queued', 'sid', id, 'so', o, 'sat', 0, 'eq', ms, 'cl', ARGV[3])
redis.call('HINCRBY', meta, 'depth', 1)
redis.call('HINCRBY', meta, 'enq', 1)
hist(hk, ms, 'queued', ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[2] .. '\n1')
return {1, ARGV[2], ARGV[3], '', 'queued'}
