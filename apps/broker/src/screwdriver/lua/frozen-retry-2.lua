-- frozen-retry: starting build b of job j failed for now; try again after the delay.
-- KEYS[1] due zset  KEYS[2] the job's frozen hash
-- ARGV[1] jobId  ARGV[2] buildId  ARGV[3] delay ms
-- Returns the failed starts so far, or 0 when the job's frozen build is another one now (nothing done).
if redis.call('HGET', KEYS[2], 'b') ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return redis.call('HINCRBY', KEYS[2], 'n', 1)
