-- notify-done: the outcome of sending a build's update.
-- KEYS[1] due zset  KEYS[2] the build's update hash
-- ARGV[1] buildId  ARGV[2] version sent  ARGV[3] 'done' (sent, or refused for good) | 'retry'  ARGV[4] retry delay ms
-- Returns 'done'; 'newer' (sent, and a newer update arrived meanwhile: it is due at once); or
-- 'retry' (the newest update, whichever it is, goes after the delay: an API that fails is not
-- asked faster because builds keep moving).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 'done'
end
if ARGV[3] == 'retry' then
  redis.call('HINCRBY', KEYS[2], 'n', 1)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
  return 'retry'
end
if redis.call('HGET', KEYS[2], 'v') ~= ARGV[2] then
  redis.call('HSET', KEYS[2], 'n', 0)
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  return 'newer'
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 'done'
