-- stop: Screwdriver stops a build (DELETE /v1/queue/message). Queued: cancelled, never delivered
-- (an undelivered entry is deleted from the stream; one waiting to be delivered again leaves the
-- PEL). Leased or acked: a stop message is queued for the cluster's workers (once), ahead of the
-- queued starts, and extend answers list the build. No record at all (a broker died between claiming and appending): a
-- cancelled tombstone, so a retried POST does not queue it after all.
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] meta  KEYS[4] dead  KEYS[5] build hash  KEYS[6] history
-- ARGV[1] buildId  ARGV[2] stop message JSON  ARGV[3] wake channel  ARGV[4] queue name
-- ARGV[5] keep ms  ARGV[6] cluster
-- Returns {build state after, changed 0|1}
local stream, redeliver, meta, dead, h, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local b, keep_ms = ARGV[1], tonumber(ARGV[5])
local now = now_ms()
local cur = redis.call('HMGET', h, 'sst', 'sid', 'stop', 'so')
local state = cur[1]
if not state then
  redis.call('HSET', h, 'sst', 'cancelled', 'sat', 0, 'eq', now, 'cl', ARGV[6])
  hist(hk, now, 'cancelled', 'stopped before it was queued')
  settle_ttl(h, hk, keep_ms)
  return {'cancelled', 1}
end
if state == 'queued' then
  if redis.call('ZREM', redeliver, pad_id(cur[2])) == 1 then
    redis.call('XACK', stream, GROUP, cur[2])
  else
    redis.call('XDEL', stream, cur[2])
    if cur[4] then redis.call('ZADD', skipkey(base_of(h)), cur[4], cur[4]) end
  end
  redis.call('HINCRBY', meta, 'depth', -1)
  redis.call('HSET', h, 'sst', 'cancelled')
  hist(hk, now, 'cancelled', 'stopped while queued')
  settle_ttl(h, hk, keep_ms)
  return {'cancelled', 1}
end
if state == 'dead' then
  redis.call('ZREM', dead, b .. ':s')
  redis.call('HSET', h, 'sst', 'cancelled')
  redis.call('HDEL', h, 'sdm')
  hist(hk, now, 'cancelled', 'stopped while in the dead letters')
  settle_ttl(h, hk, keep_ms)
  return {'cancelled', 1}
end
-- A retired queue (its cluster deleted) takes no stop message: nobody polls it any more.
if (state == 'leased' or state == 'acked') and not cur[3] and redis.call('HEXISTS', meta, 'gone') == 0 then
  ensure_group(stream, meta)
  local id, o = append(stream, meta, b, 'x', ARGV[2])
  expedite(redeliver, base_of(h), id, o)
  redis.call('HSET', h, 'stop', '1', 'xst', 'queued', 'xid', id, 'xat', 0)
  redis.call('PERSIST', h)
  redis.call('PERSIST', hk)
  redis.call('HINCRBY', meta, 'depth', 1)
  hist(hk, now, 'stop queued', 'stop requested while ' .. state)
  redis.call('PUBLISH', ARGV[3], ARGV[4] .. '\n1')
  return {state, 1}
end
return {state, 0}
