-- poll: leases up to `max` jobs to a worker, oldest first: jobs whose lease ended (expired or
-- nacked) come before any newer entry, then new entries via XREADGROUP (the group's
-- last-delivered-id is the delivered watermark). Expired leases are reaped first. With a pollId,
-- a retried poll gets back those jobs of the first one whose lease is still current (none acked,
-- nacked or delivered again since) instead of leasing more. A top-up (ARGV[10] '1') is the same
-- poll leasing more for its batch: it never replays, and its leases join the poll's saved ones.
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] leases  KEYS[4] meta  KEYS[5] workers  KEYS[6] dead
-- KEYS[7] queue base "q:{<queue>}:"  KEYS[8] poll key (ignored without a pollId)
-- ARGV[1] workerId  ARGV[2] max  ARGV[3] leaseMs  ARGV[4] maxAttempts  ARGV[5] pollId or ''
-- ARGV[6] poll memo ttl ms  ARGV[7] wake channel  ARGV[8] queue name  ARGV[9] keep ms of settled builds
-- ARGV[10] '1' for a top-up, else '0'
-- Returns {now, next lease deadline or -1, depth left, expired, replayed 0|1,
--          jobs {leaseId, buildId, type s|x, attempt, enqueuedMs, leaseExpiresMs, message}..., events {b, t, state, detail}...}
local K = {stream = KEYS[1], redeliver = KEYS[2], leases = KEYS[3], meta = KEYS[4], dead = KEYS[6]}
local workers, base, poll_key = KEYS[5], KEYS[7], KEYS[8]
local worker, max, lease_ms, max_attempts = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local poll_id, poll_ttl, channel, queue, keep_ms = ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8], tonumber(ARGV[9])
local top_up = ARGV[10] == '1'
local now = now_ms()

redis.call('ZADD', workers, now, worker)
redis.call('ZREMRANGEBYSCORE', workers, '-inf', now - 60000)

if poll_id ~= '' and not top_up then
  local saved = redis.call('LRANGE', poll_key, 0, -1)
  if #saved > 0 then
    -- Only the leases still current: a job acked, nacked, stopped or delivered again since is
    -- not handed out a second time.
    local current = {}
    for i = 1, #saved, 7 do
      local lid, b, t = saved[i], saved[i + 1], saved[i + 2]
      local cur = redis.call('HMGET', bkey(base, b), t .. 'ls', t .. 'st')
      if cur[1] == lid and cur[2] == 'leased' then
        for k = 0, 6 do current[#current + 1] = saved[i + k] end
      end
    end
    return {now, next_deadline(K.leases), depth_of(K.meta), 0, 1, current, {}}
  end
end

ensure_group(K.stream, K.meta)
local ev = {}
local expired, requeued = reap(K, base, now, max_attempts, keep_ms, 100, ev)

local jobs, n = {}, 0
local function deliver(sid, fields)
  local b, t = field(fields, 'b'), field(fields, 't')
  local h = bkey(base, b)
  local cur = redis.call('HMGET', h, t .. 'st', t .. 'at')
  if cur[1] ~= 'queued' then
    -- cancelled (or otherwise settled) meanwhile: never delivered; out of the PEL
    redis.call('XACK', K.stream, GROUP, sid)
    return
  end
  local attempt = (tonumber(cur[2]) or 0) + 1
  local epoch = redis.call('HINCRBY', h, 'ep', 1)
  local lid = b .. ':' .. t .. ':' .. epoch
  local expires = now + lease_ms
  redis.call('HSET', h, t .. 'st', 'leased', t .. 'at', attempt, t .. 'ls', lid, t .. 'w', worker, t .. 'ex', expires, t .. 'lt', now)
  redis.call('ZADD', K.leases, expires, lid)
  redis.call('HINCRBY', K.meta, 'depth', -1)
  hist(hkey(base, b), now, t == 's' and 'leased' or 'stop leased', worker .. ' attempt ' .. attempt)
  local j = #jobs
  jobs[j + 1] = lid
  jobs[j + 2] = b
  jobs[j + 3] = t
  jobs[j + 4] = attempt
  jobs[j + 5] = id_ms(sid)
  jobs[j + 6] = expires
  jobs[j + 7] = field(fields, 'm')
  n = n + 1
end

-- 1. jobs to deliver again, in stream order
while n < max do
  local popped = redis.call('ZPOPMIN', K.redeliver)
  if not popped[1] then break end
  local sid = unpad_id(popped[1])
  local entry = redis.call('XRANGE', K.stream, sid, sid)
  if entry[1] then
    deliver(sid, entry[1][2])
  else
    redis.call('HINCRBY', K.meta, 'depth', -1)
  end
end

-- 2. new entries. A stop message among them was queued in the redeliver set too (served ahead
-- of the starts): delivered here only if still waiting there; if it was served already and is
-- leased, it stays in the PEL, which now holds it as delivered and unacked.
local read_ordinal = false
while n < max do
  local want = max - n
  local read = redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', want, 'STREAMS', K.stream, '>')
  if not read then break end
  local entries = read[1][2]
  for _, e in ipairs(entries) do
    local o = field(e[2], 'o')
    if o then read_ordinal = o end
    if field(e[2], 't') == 'x' then
      local served = redis.call('ZREM', K.redeliver, member('x', e[1])) == 0
      if not served then
        deliver(e[1], e[2])
      elseif redis.call('HGET', bkey(base, field(e[2], 'b')), 'xst') ~= 'leased' then
        redis.call('XACK', K.stream, GROUP, e[1])
      end
    else
      deliver(e[1], e[2])
    end
  end
  if #entries < want then break end
end
if read_ordinal then
  -- the delivered watermark's ordinal; what the skip set held below it no longer counts anywhere
  redis.call('HSET', K.meta, 'dlo', read_ordinal)
  redis.call('ZREMRANGEBYSCORE', skipkey(base), '-inf', read_ordinal)
end

if n > 0 and poll_id ~= '' then
  redis.call('RPUSH', poll_key, unpack(jobs))
  redis.call('PEXPIRE', poll_key, poll_ttl)
end
local depth = depth_of(K.meta)
if requeued > 0 and depth > 0 then
  redis.call('PUBLISH', channel, queue .. '\n' .. depth)
end
return {now, next_deadline(K.leases), depth, expired, 0, jobs, ev}
