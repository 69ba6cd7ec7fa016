-- claim: the one place that decides, atomically, where a build goes; a build is claimed once.
-- A build for a cluster records its queue and joins the bucket's claims journal with its message
-- (the caller then appends it there, idempotently, and clears the journal; a sweeper finishes a
-- claim whose broker died first). A build with no eligible cluster joins the pending list at its
-- arrival number (taken by the caller beforehand, from the directory's one sequence).
-- KEYS[1] directory entry  KEYS[2] bucket's pending zset  KEYS[3] bucket's messages
-- KEYS[4] bucket's claims journal
-- ARGV[1] buildId  ARGV[2] queue ('' = pending)  ARGV[3] cluster  ARGV[4] message JSON
-- ARGV[5] pending reason  ARGV[6] arrival number (pending only)
-- Returns {created 0|1, queue, cluster, directory state ('' | 'pending' | 'cancelled')}
local idx, pending, messages, claims = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local cur = redis.call('HMGET', idx, 'q', 'c', 'st')
if cur[1] or cur[3] then
  return {0, cur[1] or '', cur[2] or '', cur[3] or ''}
end
local now = now_ms()
if ARGV[2] == '' then
  local n = ARGV[6]
  redis.call('HSET', idx, 'q', '', 'c', '', 'st', 'pending', 'r', ARGV[5], 'at', now, 'n', n)
  redis.call('ZADD', pending, n, ARGV[1])
  redis.call('HSET', messages, ARGV[1], ARGV[4])
  return {1, '', '', 'pending'}
end
redis.call('HSET', idx, 'q', ARGV[2], 'c', ARGV[3], 'at', now)
redis.call('ZADD', claims, now, ARGV[1])
redis.call('HSET', messages, ARGV[1], ARGV[4])
return {1, ARGV[2], ARGV[3], ''}
