-- status: one build of a queue (read only): its hash, its history and, while it is queued, its
-- 1-based position: jobs to deliver again (stop messages first) come first, then undelivered
-- entries in stream order. O(log n): the rank in the redeliver set, or the build's ordinal less
-- the delivered watermark's (meta 'dlo') less the skipped ordinals in between; never a scan.
-- KEYS[1] meta  KEYS[2] redeliver  KEYS[3] build hash  KEYS[4] history  KEYS[5] skip set
-- Returns {} when unknown (never appended), else {hash field/value list, history list, position or -1, now}
local meta, redeliver, h, hk, skip = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local fields = redis.call('HGETALL', h)
-- a hash holding only a refused append's record ('bp') is no build of this queue
if not field(fields, 'sst') then return {} end
local position = -1
if field(fields, 'sst') == 'queued' then
  local sid = field(fields, 'sid')
  local rank = redis.call('ZRANK', redeliver, pad_id(sid))
  if rank then
    position = rank + 1
  else
    local so = tonumber(field(fields, 'so') or '')
    -- without an ordinal (appended before ordinals existed) the position is not known
    if so then
      local dlo = tonumber(redis.call('HGET', meta, 'dlo') or '0')
      local skipped = redis.call('ZCOUNT', skip, '(' .. dlo, so)
      position = redis.call('ZCARD', redeliver) + (so - dlo) - skipped
    end
  end
end
return {fields, redis.call('LRANGE', hk, 0, -1), position, now_ms()}
