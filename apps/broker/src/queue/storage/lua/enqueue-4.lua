-- enqueue: appends a start message to a cluster queue, once per build (idempotent by buildId,
-- so a retried POST or a sweeper completing a claim appends it once, however often it is asked).
-- Mode 'post' (the second step of a claim): while pending builds are being assigned to this queue
-- (meta 'asg', until when) the build is refused as "behind" them, and the caller puts it on the
-- pending list; any refusal is kept in the build hash ('bp'), so that a later 'post' append of the
-- same build (a retry, a sweeper) answers the same and never appends a build that is pending by
-- then. Mode 'assign' (the drainer): appends whatever 'bp' says, and marks the queue for ARGV[7] ms.
-- KEYS[1] stream  KEYS[2] meta  KEYS[3] build hash  KEYS[4] build history
-- ARGV[1] buildId  ARGV[2] message JSON  ARGV[3] cluster  ARGV[4] wake channel  ARGV[5] queue name
-- ARGV[6] mode 'post' | 'assign' | ''  ARGV[7] mark ms (assign)  ARGV[8] keep ms of a refusal's record
-- Returns {created 0|1, start state, stream id, enqueued at ms}; {2} when the queue was retired
-- (its cluster is being deleted): nothing appended, the caller puts the build back to pending;
-- {3} when refused as behind the builds being assigned ('post').
local stream, meta, h, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local mode = ARGV[6]
local existing = redis.call('HMGET', h, 'sst', 'sid', 'eq', 'bp')
if existing[1] then
  return {0, existing[1], existing[2] or '', tonumber(existing[3] or '0')}
end
if mode == 'post' and existing[4] then return {tonumber(existing[4])} end
local state = redis.call('HMGET', meta, 'gone', 'asg')
local now = now_ms()
local refused = false
if state[1] then
  refused = 2
elseif mode == 'post' and state[2] and tonumber(state[2]) > now then
  refused = 3
end
if refused then
  if mode == 'post' then
    redis.call('HSET', h, 'bp', refused)
    redis.call('PEXPIRE', h, tonumber(ARGV[8]))
  end
  return {refused}
end
if mode == 'assign' then redis.call('HSET', meta, 'asg', now + tonumber(ARGV[7])) end
ensure_group(stream, meta)
local id, o = append(stream, meta, ARGV[1], 's', ARGV[2])
local ms = id_ms(id)
if existing[4] then
  redis.call('HDEL', h, 'bp')
  redis.call('PERSIST', h)
end
redis.call('HSET', h, 'sst', 'queued', 'sid', id, 'so', o, 'sat', 0, 'eq', ms, 'cl', ARGV[3])
redis.call('HINCRBY', meta, 'depth', 1)
redis.call('HINCRBY', meta, 'enq', 1)
hist(hk, ms, 'queued', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5] .. '\n1')
return {1, 'queued', id, ms}
