-- extend: pushes lease deadlines out for a worker that is still running its builds, and tells it
-- which of them Screwdriver asked to stop. A lease that expired but whose job nobody took yet is
-- reinstated (the worker kept running it; re-running it elsewhere would be waste).
-- KEYS[1] redeliver  KEYS[2] leases  KEYS[3] meta  KEYS[4] queue base
-- ARGV[1] leaseMs  ARGV[2..] leaseIds
-- Returns {{leaseId, expiresMs}..., {leaseId, reason}..., {buildId to stop}...}
local redeliver, leases, meta, base = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local lease_ms = tonumber(ARGV[1])
local now = now_ms()
local extended, rejected, stop = {}, {}, {}
for i = 2, #ARGV do
  local lid = ARGV[i]
  local b, t, epoch = parse_lease(lid)
  local reason = false
  if not b then
    reason = 'unknown_lease'
  else
    local h = bkey(base, b)
    local cur = redis.call('HMGET', h, t .. 'ls', t .. 'st', t .. 'id', 'stop', 'ep')
    if not cur[2] then
      reason = 'unknown_lease'
    elseif cur[1] ~= lid then
      if tonumber(epoch) <= tonumber(cur[5] or '0') then reason = 'lease_lost' else reason = 'unknown_lease' end
    elseif cur[2] == 'leased' or cur[2] == 'queued' then
      if cur[2] == 'queued' then
        if redis.call('ZREM', redeliver, pad_id(cur[3])) == 1 then redis.call('HINCRBY', meta, 'depth', -1) end
        redis.call('HSET', h, t .. 'st', 'leased')
        hist(hkey(base, b), now, t == 's' and 'leased' or 'stop leased', 'lease renewed after it expired')
      end
      local expires = now + lease_ms
      redis.call('ZADD', leases, expires, lid)
      redis.call('HSET', h, t .. 'ex', expires)
      extended[#extended + 1] = lid
      extended[#extended + 1] = expires
      if t == 's' and cur[4] then stop[#stop + 1] = b end
    elseif cur[2] == 'acked' then
      reason = 'acked'
    elseif cur[2] == 'cancelled' then
      reason = 'cancelled'
    else
      reason = 'lease_lost'
    end
  end
  if reason then
    rejected[#rejected + 1] = lid
    rejected[#rejected + 1] = reason
  end
end
return {extended, rejected, stop}
