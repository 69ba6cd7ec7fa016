-- detail: a queue's in-flight leases (soonest deadline first) and its next queued jobs with their
-- positions (read only).
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] leases  KEYS[4] queue base
-- ARGV[1] limit
-- Returns {{leaseId, buildId, type, workerId, attempt, expiresMs}..., {buildId, type, position, attempt, enqueuedMs}...}
local stream, redeliver, leases, base = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local limit = tonumber(ARGV[1])
local out_leases, out_next = {}, {}
local held = redis.call('ZRANGE', leases, 0, limit - 1, 'WITHSCORES')
for i = 1, #held, 2 do
  local lid = held[i]
  local b, t = parse_lease(lid)
  if b then
    local cur = redis.call('HMGET', bkey(base, b), t .. 'w', t .. 'at')
    for _, v in ipairs({lid, b, t, cur[1] or '', tonumber(cur[2] or '0'), tonumber(held[i + 1])}) do
      out_leases[#out_leases + 1] = v
    end
  end
end
local position = 0
local function add(sid, fields)
  local b, t = field(fields, 'b'), field(fields, 't')
  position = position + 1
  local attempt = redis.call('HGET', bkey(base, b), t .. 'at') or '0'
  for _, v in ipairs({b, t, position, tonumber(attempt), id_ms(sid)}) do out_next[#out_next + 1] = v end
end
local again = redis.call('ZRANGE', redeliver, 0, limit - 1)
for _, p in ipairs(again) do
  local sid = unpad_id(p)
  local e = redis.call('XRANGE', stream, sid, sid)
  if e[1] then add(sid, e[1][2]) end
end
if position < limit and redis.call('EXISTS', stream) == 1 then
  local fresh = redis.call('XRANGE', stream, '(' .. last_delivered(stream), '+', 'COUNT', limit - position)
  -- stop messages are listed from the redeliver set, where they wait ahead of the starts
  for _, e in ipairs(fresh) do
    if field(e[2], 't') ~= 'x' then add(e[1], e[2]) end
  end
end
return {out_leases, out_next}
