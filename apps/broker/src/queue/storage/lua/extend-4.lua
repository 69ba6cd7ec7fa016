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
each_lease(base, 2, {leased = true, queued = true}, rejected, function(lid, b, t, h, cur)
  if cur[2] == 'queued' then
    if redis.call('ZREM', redeliver, member(t, cur[3])) == 1 then redis.call('HINCRBY', meta, 'depth', -1) end
    redis.call('HSET', h, t .. 'st', 'leased')
    hist(hkey(base, b), now, t == 's' and 'leased' or 'stop leased', 'lease renewed after it expired')
  end
  local expires = now + lease_ms
  redis.call('ZADD', leases, expires, lid)
  redis.call('HSET', h, t .. 'ex', expires)
  extended[#extended + 1] = lid
  extended[#extended + 1] = expires
  if t == 's' and cur[5] then stop[#stop + 1] = b end
end)
return {extended, rejected, stop}
