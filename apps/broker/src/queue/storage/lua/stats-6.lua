-- stats: one queue's figures (read only).
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] leases  KEYS[4] meta  KEYS[5] dead  KEYS[6] workers
-- Returns {depth, in flight, dead, oldest queued enqueued ms or -1, delivered watermark,
--          acked watermark, workers seen in the last minute, enqueued total, acked total, now}
local stream, redeliver, leases, meta, dead, workers = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = now_ms()
local m = redis.call('HMGET', meta, 'depth', 'enq', 'ack')
local delivered, acked, oldest = '0-0', '0-0', -1
if redis.call('EXISTS', stream) == 1 then
  delivered = last_delivered(stream)
  local pending = redis.call('XPENDING', stream, GROUP)
  if tonumber(pending[1]) > 0 then
    -- the newest entry below the oldest unacked one, when the trim left it; else the id just below
    local below = redis.call('XREVRANGE', stream, '(' .. pending[2], '-', 'COUNT', 1)
    if below[1] then acked = below[1][1] else acked = prev_id(pending[2]) end
  else
    acked = delivered
  end
  local first = redis.call('ZRANGE', redeliver, 0, 0)
  if first[1] then
    oldest = id_ms(unpad_id(first[1]))
  else
    local e = redis.call('XRANGE', stream, '(' .. delivered, '+', 'COUNT', 1)
    if e[1] then oldest = id_ms(e[1][1]) end
  end
end
return {
  tonumber(m[1] or '0'), redis.call('ZCARD', leases), redis.call('ZCARD', dead), oldest, delivered, acked,
  redis.call('ZCOUNT', workers, now - 60000, '+inf'), tonumber(m[2] or '0'), tonumber(m[3] or '0'), now
}
