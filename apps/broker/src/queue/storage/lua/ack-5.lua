-- ack: settles leased jobs. Fenced: only the current lease of a job may ack it; a lease whose job
-- was delivered again answers lease_lost. Acking an acked lease answers acked again (a worker
-- whose reply was lost retries safely). A lease that expired but whose job nobody took yet is
-- still honoured. Then trims the stream up to the acked watermark (never anything unacked).
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] leases  KEYS[4] meta  KEYS[5] queue base
-- ARGV[1] keep ms of settled builds  ARGV[2..] leaseIds
-- Returns {{acked leaseId...}, {leaseId, reason}..., {events b, t, state, detail}...}
local stream, redeliver, leases, meta, base = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local keep_ms = tonumber(ARGV[1])
local now = now_ms()
local acked, rejected, ev = {}, {}, {}
local count = 0
each_lease(base, 2, {acked = true, leased = true, queued = true}, rejected, function(lid, b, t, h, cur)
  if cur[2] == 'acked' then
    acked[#acked + 1] = lid
    return
  end
  if cur[2] == 'queued' and redis.call('ZREM', redeliver, member(t, cur[3])) == 1 then
    redis.call('HINCRBY', meta, 'depth', -1)
  end
  redis.call('XACK', stream, GROUP, cur[3])
  redis.call('ZREM', leases, lid)
  redis.call('HSET', h, t .. 'st', 'acked')
  if t == 's' then redis.call('HSET', h, 'ak', now) end
  local hk = hkey(base, b)
  hist(hk, now, t == 's' and 'acked' or 'stop acked', '')
  event(ev, b, t, 'acked', '')
  settle_ttl(h, hk, keep_ms, ev, b)
  acked[#acked + 1] = lid
  count = count + 1
end)
if count > 0 then
  redis.call('HINCRBY', meta, 'ack', count)
  -- acked watermark: just below the oldest unacked (pending) entry, else the delivered watermark.
  -- Whole stream nodes only (~), but no limit on how many (LIMIT 0), so a drained backlog goes.
  local pending = redis.call('XPENDING', stream, GROUP)
  if tonumber(pending[1]) > 0 then
    redis.call('XTRIM', stream, 'MINID', '~', pending[2], 'LIMIT', 0)
  else
    local last = last_delivered(stream)
    if last ~= '0-0' then redis.call('XTRIM', stream, 'MINID', '~', next_id(last), 'LIMIT', 0) end
  end
end
return {acked, rejected, ev}
