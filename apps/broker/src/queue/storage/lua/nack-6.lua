-- nack: a worker gives jobs back; each is delivered again ahead of newer entries (attempt + 1),
-- or goes to the dead letters once it has had maxAttempts deliveries.
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] leases  KEYS[4] meta  KEYS[5] dead  KEYS[6] queue base
-- ARGV[1] maxAttempts  ARGV[2] wake channel  ARGV[3] queue name  ARGV[4] keep ms  ARGV[5] reason
-- ARGV[6..] leaseIds
-- Returns {{nacked leaseId...}, {leaseId, reason}..., {events b, t, state, detail}...}
local K = {stream = KEYS[1], redeliver = KEYS[2], leases = KEYS[3], meta = KEYS[4], dead = KEYS[5]}
local base = KEYS[6]
local max_attempts, channel, queue, keep_ms = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local why = 'nacked'
if ARGV[5] ~= '' then why = 'nacked: ' .. ARGV[5] end
local now = now_ms()
local nacked, rejected, ev = {}, {}, {}
local requeued = 0
each_lease(base, 6, {leased = true}, rejected, function(lid, b, t, h, cur)
  redis.call('ZREM', K.leases, lid)
  -- the worker gave the lease up: a late ack or extend of it is refused
  redis.call('HSET', h, t .. 'ls', '')
  requeued = requeued + release(K, base, b, t, tonumber(cur[4]), max_attempts, why, now, keep_ms, ev)
  nacked[#nacked + 1] = lid
end)
if requeued > 0 then redis.call('PUBLISH', channel, queue .. '\n' .. requeued) end
return {nacked, rejected, ev}
