-- enqueue: appends a start message to a cluster queue, once per build (idempotent by buildId,
-- so a retried POST after a broker crash completes the append instead of duplicating it).
-- KEYS[1] stream  KEYS[2] meta  KEYS[3] build hash  KEYS[4] build history
-- ARGV[1] buildId  ARGV[2] message JSON  ARGV[3] cluster  ARGV[4] wake channel  ARGV[5] queue name
-- Returns {created 0|1, start state, stream id, enqueued at ms}, or {2} when the queue was retired
-- (its cluster is being deleted): nothing appended, the caller puts the build back to pending.
local stream, meta, h, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local existing = redis.call('HMGET', h, 'sst', 'sid', 'eq')
if existing[1] then
  return {0, existing[1], existing[2] or '', tonumber(existing[3] or '0')}
end
if redis.call('HEXISTS', meta, 'gone') == 1 then return {2} end
ensure_group(stream, meta)
local id, o = append(stream, meta, ARGV[1], 's', ARGV[2])
local ms = id_ms(id)
redis.call('HSET', h, 'sst', 'queued', 'sid', id, 'so', o, 'sat', 0, 'eq', ms, 'cl', ARGV[3])
redis.call('HINCRBY', meta, 'depth', 1)
redis.call('HINCRBY', meta, 'enq', 1)
hist(hk, ms, 'queued', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5] .. '\n1')
return {1, 'queued', id, ms}
