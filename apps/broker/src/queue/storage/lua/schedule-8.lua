-- schedule: a start in one step on one Redis: claim the build for a queue and append it there.
-- A build claimed before (a duplicate, a retry) is only reported: the caller then appends
-- idempotently to the queue of that first claim (enqueue), or answers its pending state.
-- Spans two hash tags, the build's directory bucket and the queue: one Redis only (a Redis
-- Cluster refuses it); there the same outcome takes claim then enqueue, both idempotent.
-- While pending builds are being assigned to this queue (the drainer's mark, meta 'asg'), a new
-- build for it joins the pending list behind them instead, so it never overtakes them; the
-- drainer assigns it in its turn. Other queues are not affected.
-- KEYS[1] directory entry  KEYS[2] stream  KEYS[3] meta  KEYS[4] build hash  KEYS[5] build history
-- KEYS[6] bucket's pending zset  KEYS[7] bucket's messages  KEYS[8] arrival sequence
-- ARGV[1] buildId  ARGV[2] queue  ARGV[3] cluster  ARGV[4] message JSON  ARGV[5] wake channel
-- ARGV[6] pending reason
-- Returns {created 0|1, queue, cluster, directory state, start state}, {2} when the queue was
-- retired (its cluster is being deleted, or was): nothing claimed, the caller chooses again, or
-- {3} when it was claimed as pending behind the builds being assigned.
local idx, stream, meta, h, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local pending, messages, seq = KEYS[6], KEYS[7], KEYS[8]
local cur = redis.call('HMGET', idx, 'q', 'c', 'st')
if cur[1] or cur[3] then
  return {0, cur[1] or '', cur[2] or '', cur[3] or '', ''}
end
local state = redis.call('HMGET', meta, 'gone', 'asg')
if state[1] then return {2} end
local now = now_ms()
if state[2] and tonumber(state[2]) > now then
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
