-- mark: marks a queue as being assigned pending builds until now + ms (Redis clock). While the
-- mark holds, a new post for the queue waits as pending behind those builds (schedule-8, enqueue-4
-- in mode 'post'); enqueue-4 in mode 'assign' sets the same field as it appends.
-- KEYS[1] meta
-- ARGV[1] ms
-- Returns what HSET answers (1 when the field is new)
local t = redis.call('TIME')
return redis.call('HSET', KEYS[1], 'asg', t[1] * 1000 + math.floor(t[2] / 1000) + ARGV[1])
