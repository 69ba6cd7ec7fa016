-- rules-admit: Screwdriver's blockedBy and collapse rules, decided for one new build at once for
-- every replica (one script, one slot): the build goes on (and counts as running for its job from
-- now) or waits, and older waiting builds of its job may be collapsed into it.
-- KEYS[1] base of the rules keys (`<base>running` hash job → build, `<base>rb` hash build → job,
--         `<base>since` hash job → ms,
--         `<base>last` hash job → last build started, `<base>waiting` zset build → arrival,
--         `<base>w:<build>` hash of a waiting build, `<base>wj:<job>` zset of a job's waiting builds,
--         `<base>admitting` zset build → ms, `<base>am` hash build → message: the journal of builds let go
--         but not yet queued)
-- KEYS[2] arrival counter
-- ARGV[1] buildId  ARGV[2] jobId  ARGV[3] blockedBy job ids, comma separated  ARGV[4] blockedBySameJob 1|0
-- ARGV[5] blockedBySameJobWaitTime ms  ARGV[6] collapse 1|0  ARGV[7] start message JSON
-- ARGV[8] how long at most the build holds its job (ms): a stop Screwdriver never sent cannot block it for ever
-- Returns {verdict, {blocking build ids}, {collapsed build ids}}; verdict 'go', 'blocked' or
-- 'collapsed' (an older build of a job whose newer build already started).
local base = KEYS[1]
local b, job = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- A retried post is answered as the first was.
if redis.call('HEXISTS', base .. 'rb', b) == 1 or redis.call('ZSCORE', base .. 'admitting', b) then
  return {'go', {}, {}}
end
if redis.call('EXISTS', base .. 'w:' .. b) == 1 then
  return {'blocked', blockers(base, b, job, redis.call('HGET', base .. 'w:' .. b, 'by'), redis.call('HGET', base .. 'w:' .. b, 'sj'), redis.call('HGET', base .. 'w:' .. b, 'wt'), now), {}}
end

local collapse = ARGV[6] == '1'
local last = tonumber(redis.call('HGET', base .. 'last', job) or '0')
if collapse and tonumber(b) < last then return {'collapsed', {last}, {}} end

local collapsed = {}
if collapse then
  -- Every older waiting build of this job gives way to this one.
  for _, older in ipairs(redis.call('ZRANGEBYSCORE', base .. 'wj:' .. job, '-inf', '(' .. b)) do
    forget_waiting(base, older, job)
    collapsed[#collapsed + 1] = tonumber(older)
  end
end

local blocking = blockers(base, b, job, ARGV[3], ARGV[4], ARGV[5], now)
-- Without collapse, builds of one job start in arrival order: one waiting ahead holds this one.
local ahead = not collapse and redis.call('ZCARD', base .. 'wj:' .. job) > 0
if #blocking == 0 and not ahead then
  let_go(base, b, job, ARGV[7], now, ARGV[8])
  return {'go', {}, collapsed}
end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', base .. 'waiting', seq, b)
redis.call('ZADD', base .. 'wj:' .. job, tonumber(b), b)
redis.call('HSET', base .. 'w:' .. b, 'job', job, 'by', ARGV[3], 'sj', ARGV[4], 'wt', ARGV[5], 'c', ARGV[6], 'm', ARGV[7], 'at', now, 'hold', ARGV[8])
return {'blocked', blocking, collapsed}
