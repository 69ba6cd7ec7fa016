-- cancel-pending: first step of a stop. A pending build is cancelled here (never assigned);
-- a build in a queue is reported so the caller stops it there.
-- KEYS[1] directory entry  KEYS[2] bucket's pending zset  KEYS[3] bucket's messages
-- ARGV[1] buildId  ARGV[2] keep ms of settled entries
-- Returns {'missing'} | {'cancelled', changed 0|1} | {'queue', queue, cluster}
local idx, pending, messages = KEYS[1], KEYS[2], KEYS[3]
local cur = redis.call('HMGET', idx, 'q', 'c', 'st')
if not cur[1] and not cur[3] then return {'missing'} end
if cur[3] == 'pending' then
  redis.call('ZREM', pending, ARGV[1])
  redis.call('HDEL', messages, ARGV[1])
  redis.call('HSET', idx, 'st', 'cancelled')
  redis.call('HDEL', idx, 'r')
  redis.call('PEXPIRE', idx, tonumber(ARGV[2]))
  return {'cancelled', 1}
end
if cur[3] == 'cancelled' then return {'cancelled', 0} end
return {'queue', cur[1], cur[2] or ''}
