-- Shared helpers: each queue script is loaded with those it uses (redis/lua-lib.ts), so each
-- script stays one self-contained EVALSHA. Every key a script touches lives under one queue's
-- hash tag "q:{<queue>}:" (or one directory bucket's, "dir:{<tag>}:"), so a Redis Cluster serves
-- it from one slot (schedule-8 alone spans two: it runs on one Redis only).
--
-- Per build, in hash "<base>b:<buildId>", each delivery unit ("job") of type t ('s' start,
-- 'x' stop) keeps: t..'st' state (queued|leased|acked|cancelled|dead), t..'id' stream id,
-- t..'at' deliveries so far, t..'ls' current lease id, t..'w' worker, t..'ex' lease deadline (ms),
-- and when dead t..'dm' message, t..'dr' reason, t..'dt' time. Build-wide: 'eq' enqueued at (ms),
-- 'cl' cluster, 'ep' lease epoch (never reset: lease ids stay unique), 'stop' (stop requested),
-- 'ak' acked at (ms), 'slt' time of the start's last lease. "<base>h:<buildId>" is the build's
-- history list ("ms|state|detail"); a build acked at its first attempt, with no stop, drops it when
-- it settles, since queued/leased/acked can be told from its fields (GET /v4/builds does so).
-- On the TypeScript side only build-record.ts knows these names (BuildRecord and its reads).

local GROUP, CONSUMER = 'g', 'c'

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function id_ms(id)
  return tonumber(string.match(id, '^(%d+)-'))
end

-- Stream ids as ZSET members that sort in stream order: every score is 0, so members compare
-- as strings, and zero padding makes string order equal id order.
local function pad_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return string.rep('0', 16 - #ms) .. ms .. '-' .. string.rep('0', 20 - #seq) .. seq
end

local function unpad_id(padded)
  local ms, seq = string.match(padded, '^!?0*(%d+)-0*(%d+)$')
  return ms .. '-' .. seq
end

-- A job's member in the redeliver set. Stop messages sort before every start ('!' < '0'), so a
-- poll serves them first: a stop must not wait behind the backlog of starts.
local function member(t, sid)
  if t == 'x' then return '!' .. pad_id(sid) end
  return pad_id(sid)
end

-- The id just below / above a stream id (watermark arithmetic).
local function prev_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if seq ~= '0' then return ms .. '-' .. string.format('%d', tonumber(seq) - 1) end
  if ms == '0' then return '0-0' end
  return string.format('%d', tonumber(ms) - 1) .. '-18446744073709551615'
end

local function next_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end

local function field(pairs_list, name)
  for i = 1, #pairs_list, 2 do
    if pairs_list[i] == name then return pairs_list[i + 1] end
  end
  return false
end

local function bkey(base, b) return base .. 'b:' .. b end
local function hkey(base, b) return base .. 'h:' .. b end
-- Like the per-build keys, the skip set is derived from the queue base (same hash tag): the
-- ordinals of entries after the delivered watermark that a position must not count (cancelled
-- starts deleted from the stream, and stop messages, which are served from the redeliver set).
local function skipkey(base) return base .. 'k' end
local function base_of(h) return string.match(h, '^(.*)b:[^:]*$') end

-- Appends a job to the stream with its ordinal (a per-queue counter, field 'o'): the position of
-- a queued start is then its ordinal minus the delivered entry's (meta 'dlo'), less what the
-- skip set holds in between: O(log n) however long the backlog. Returns the id and the ordinal.
local function append(stream, meta, b, t, message)
  local o = redis.call('HINCRBY', meta, 'ord', 1)
  local id = redis.call('XADD', stream, '*', 'b', b, 't', t, 'm', message, 'o', o)
  return id, o
end

-- A stop message joins the redeliver set at once (served before the starts) and the skip set.
local function expedite(redeliver, base, id, o)
  redis.call('ZADD', redeliver, 0, member('x', id))
  redis.call('ZADD', skipkey(base), o, o)
end

local function hist(hk, now, state, detail)
  redis.call('RPUSH', hk, string.format('%d', now) .. '|' .. state .. '|' .. (detail or ''))
end

-- "b:t:epoch" -> buildId, type, epoch
local function parse_lease(lid)
  return string.match(lid, '^(%d+):([sx]):(%d+)$')
end

-- Fencing of a lease id a worker sends back (ack, extend, nack). Reads the job's fields
-- {t..'ls', t..'st', t..'id', t..'at', 'stop', 'ep'} from its build hash. Returns the rejection
-- 'unknown_lease' (no such job, or a lease id never handed out) or 'lease_lost' (an older lease
-- of the job), else false, the build id, the job type, the build hash key and the fields read:
-- the lease is the job's current one, and its state (fields[2]) decides.
local function fence(base, lid)
  local b, t, epoch = parse_lease(lid)
  if not b then return 'unknown_lease' end
  local h = bkey(base, b)
  local cur = redis.call('HMGET', h, t .. 'ls', t .. 'st', t .. 'id', t .. 'at', 'stop', 'ep')
  if not cur[2] then return 'unknown_lease' end
  if cur[1] ~= lid then
    if tonumber(epoch) <= tonumber(cur[6] or '0') then return 'lease_lost' end
    return 'unknown_lease'
  end
  return false, b, t, h, cur
end

-- Why the current lease of a job in state st cannot be acted on: it was acked, it was
-- cancelled, or the job is no longer leased to it (dead, or delivered again).
local function refusal(st)
  if st == 'acked' or st == 'cancelled' then return st end
  return 'lease_lost'
end

-- Adds a refused lease id and why to a script's {leaseId, reason}... reply.
local function reject(rejected, lid, reason)
  rejected[#rejected + 1] = lid
  rejected[#rejected + 1] = reason
end

-- The lease loop of ack, extend and nack. Each lease id from ARGV[first] on is fenced; one that is
-- its job's current lease, with the job in a state the set `accepts` holds, goes to
-- act(lid, b, t, h, cur) (as fence returns them); any other is rejected with why.
local function each_lease(base, first, accepts, rejected, act)
  for i = first, #ARGV do
    local lid = ARGV[i]
    local reason, b, t, h, cur = fence(base, lid)
    if not reason and not accepts[cur[2]] then reason = refusal(cur[2]) end
    if reason then reject(rejected, lid, reason) else act(lid, b, t, h, cur) end
  end
end

local function ensure_group(stream, meta)
  if redis.call('HSETNX', meta, 'grp', '1') == 1 then
    redis.pcall('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM')
  end
end

-- The group's last-delivered-id: the delivered watermark.
local function last_delivered(stream)
  if redis.call('EXISTS', stream) == 0 then return '0-0' end
  local groups = redis.pcall('XINFO', 'GROUPS', stream)
  if groups.err then return '0-0' end
  for _, g in ipairs(groups) do
    if field(g, 'name') == GROUP then return field(g, 'last-delivered-id') end
  end
  return '0-0'
end

local function event(ev, b, t, state, detail)
  ev[#ev + 1] = b
  ev[#ev + 1] = t
  ev[#ev + 1] = state
  ev[#ev + 1] = detail or ''
end

-- Once neither the start nor a stop of a build can change any more, its keys expire. The history
-- of a plain build (acked at its first attempt, never stopped) goes at once: it holds nothing its
-- fields do not, and most builds are plain, so this is most of the memory a settled build keeps.
-- With an event list, a 'settled' event tells the caller to let the build's directory entry
-- expire with it (the directory lives in other slots).
local function settle_ttl(h, hk, keep_ms, ev, b)
  local s = redis.call('HMGET', h, 'sst', 'xst', 'sat', 'stop')
  local start_done = s[1] == 'acked' or s[1] == 'cancelled'
  local stop_done = (not s[2]) or s[2] == 'acked' or s[2] == 'cancelled'
  if start_done and stop_done then
    redis.call('PEXPIRE', h, keep_ms)
    if s[1] == 'acked' and s[3] == '1' and not s[4] then
      redis.call('DEL', hk)
    else
      redis.call('PEXPIRE', hk, keep_ms)
    end
    if ev then event(ev, b, 's', 'settled', '') end
  end
end


-- A lease ended without an ack (expired, or nacked): the job goes back to the head of the queue
-- (the redeliver set is served before new entries), or to the dead letters after max attempts.
-- K = {stream, redeliver, meta, dead}. Returns 1 when the job can be delivered again.
local function release(K, base, b, t, attempts, max_attempts, reason, now, keep_ms, ev)
  local h, hk = bkey(base, b), hkey(base, b)
  local sid = redis.call('HGET', h, t .. 'id')
  if t == 's' and redis.call('HGET', h, 'stop') then
    -- Screwdriver asked to stop it while it was leased: never start it again.
    redis.call('XACK', K.stream, GROUP, sid)
    redis.call('HSET', h, 'sst', 'cancelled')
    hist(hk, now, 'cancelled', reason .. '; stop was requested')
    settle_ttl(h, hk, keep_ms, ev, b)
    event(ev, b, t, 'cancelled', reason)
    return 0
  end
  if attempts >= max_attempts then
    local entry = redis.call('XRANGE', K.stream, sid, sid)
    local message = '{}'
    if entry[1] then message = field(entry[1][2], 'm') or '{}' end
    redis.call('XACK', K.stream, GROUP, sid)
    redis.call('HSET', h, t .. 'st', 'dead', t .. 'dm', message, t .. 'dr', reason, t .. 'dt', now)
    redis.call('ZADD', K.dead, now, b .. ':' .. t)
    hist(hk, now, t == 's' and 'dead' or 'stop dead', reason .. ' after ' .. attempts .. ' attempts')
    event(ev, b, t, 'dead', reason .. ' after ' .. attempts .. ' attempts')
    return 0
  end
  redis.call('ZADD', K.redeliver, 0, member(t, sid))
  redis.call('HSET', h, t .. 'st', 'queued')
  redis.call('HINCRBY', K.meta, 'depth', 1)
  hist(hk, now, t == 's' and 'queued' or 'stop queued', reason)
  event(ev, b, t, 'queued', reason)
  return 1
end

-- Ends the leases whose deadline has passed. Returns (expired, requeued).
local function reap(K, base, now, max_attempts, keep_ms, limit, ev)
  local due = redis.call('ZRANGEBYSCORE', K.leases, '-inf', now, 'LIMIT', 0, limit)
  local expired, requeued = 0, 0
  for _, lid in ipairs(due) do
    redis.call('ZREM', K.leases, lid)
    local b, t = parse_lease(lid)
    if b then
      local cur = redis.call('HMGET', bkey(base, b), t .. 'ls', t .. 'st', t .. 'at')
      if cur[1] == lid and cur[2] == 'leased' then
        expired = expired + 1
        requeued = requeued + release(K, base, b, t, tonumber(cur[3]), max_attempts, 'lease expired', now, keep_ms, ev)
      end
    end
  end
  if expired > 0 then redis.call('HINCRBY', K.meta, 'expired', expired) end
  return expired, requeued
end

local function next_deadline(leases)
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  if first[2] then return tonumber(first[2]) end
  return -1
end

local function depth_of(meta)
  return tonumber(redis.call('HGET', meta, 'depth') or '0')
end
