-- requeue: an admin puts a dead build (its start and/or stop job) back at the tail of its queue
-- (a stop ahead of the starts, as always), with its attempts reset.
-- KEYS[1] stream  KEYS[2] meta  KEYS[3] dead  KEYS[4] build hash  KEYS[5] history  KEYS[6] redeliver
-- ARGV[1] buildId  ARGV[2] wake channel  ARGV[3] queue name
-- Returns the number of jobs requeued (0: the build is not dead; -1: the queue was retired)
local stream, meta, dead, h, hk, redeliver = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
if redis.call('HEXISTS', meta, 'gone') == 1 then return -1 end
local b = ARGV[1]
local now = now_ms()
local requeued = 0
for _, t in ipairs({'s', 'x'}) do
  if redis.call('ZREM', dead, b .. ':' .. t) == 1 then
    ensure_group(stream, meta)
    local message = redis.call('HGET', h, t .. 'dm') or '{}'
    local id, o = append(stream, meta, b, t, message)
    redis.call('HSET', h, t .. 'st', 'queued', t .. 'id', id, t .. 'at', 0, t .. 'ls', '')
    redis.call('HDEL', h, t .. 'dm', t .. 'dr', t .. 'dt')
    if t == 's' then redis.call('HSET', h, 'eq', id_ms(id), 'so', o) end
    if t == 'x' then expedite(redeliver, base_of(h), id, o) end
    redis.call('HINCRBY', meta, 'depth', 1)
    hist(hk, now, t == 's' and 'queued' or 'stop queued', 'requeued from the dead letters')
    requeued = requeued + 1
  end
end
if requeued > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3] .. '\n' .. requeued) end
return requeued
