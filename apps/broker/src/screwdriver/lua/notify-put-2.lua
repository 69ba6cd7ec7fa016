-- notify-put: record the update Screwdriver should get for a build; the newest replaces an older
-- one not sent yet, except that a final update (FAILURE) is never replaced by a progress note.
-- KEYS[1] due zset  KEYS[2] the build's update hash
-- ARGV[1] buildId  ARGV[2] update JSON  ARGV[3] final: 1 or 0
-- Returns 1 when recorded, 0 when a final update already waits.
if ARGV[3] == '0' and redis.call('HGET', KEYS[2], 'f') == '1' then return 0 end
redis.call('HSET', KEYS[2], 'p', ARGV[2], 'f', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'v', 1)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- NX: an update being sent, or waiting out a retry delay, keeps its time; the newer one goes then.
redis.call('ZADD', KEYS[1], 'NX', now, ARGV[1])
return 1
