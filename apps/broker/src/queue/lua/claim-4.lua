-- claim: the one place that decides, atomically, where a build goes; a build is claimed once.
-- A build for a cluster records its queue (the caller then appends it there, idempotently); a
-- build with no eligible cluster joins the pending list, in arrival order, in this same step.
-- KEYS[1] directory entry "dir:{d}:b:<id>"  KEYS[2] pending zset  KEYS[3] pending messages  KEYS[4] pending sequence
-- ARGV[1] buildId  ARGV[2] queue ('' = pending)  ARGV[3] cluster  ARGV[4] message JSON (pending only)
-- ARGV[5] pending reason
-- Returns {created 0|1, queue, cluster, directory state ('' | 'pending' | 'cancelled')}
local idx, pending, messages, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local cur = redis.call('HMGET', idx, 'q', 'c', 'st')
if cur[1] or cur[3] then
  return {0, cur[1] or '', cur[2] or '', cur[3] or ''}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] == '' then
  local n = redis.call('INCR', seq)
  redis.call('HSET', idx, 'q', '', 'c', '', 'st', 'pending', 'r', ARGV[5], 'at', now, 'n', n)
  redis.call('ZADD', pending, n, ARGV[1])
  redis.call('HSET', messages, ARGV[1], ARGV[4])
  return {1, '', '', 'pending'}
end
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3], 'at', now)
return {1, ARGV[2], ARGV[3], ''}
