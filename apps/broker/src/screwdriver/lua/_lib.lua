-- Helpers shared by the Screwdriver side's scripts (each script is loaded with those it uses).

-- The running builds that keep build b of job `job` waiting: one per job of `by` (comma separated).
-- The build's own job blocks it too, unless blockedBySameJob is off (`sj` '0') and the running
-- build of that job has run for the wait time (`wt` ms) already.
local function blockers(base, b, job, by, sj, wt, now)
  local found = {}
  for j in string.gmatch(by or '', '[^,]+') do
    local r = redis.call('HGET', base .. 'running', j)
    if r and r ~= b then
      local skip = false
      if j == job and sj == '0' then
        local since = tonumber(redis.call('HGET', base .. 'since', j) or '0')
        skip = now - since >= tonumber(wt)
      end
      if not skip then found[#found + 1] = tonumber(r) end
    end
  end
  return found
end

-- Build b starts: it is its job's running build (until Screwdriver stops it, or at the latest
-- `hold_ms` from now), and the journal holds it until it is queued.
local function let_go(base, b, job, message, now, hold_ms)
  redis.call('HSET', base .. 'running', job, b)
  redis.call('HSET', base .. 'until', job, now + tonumber(hold_ms))
  redis.call('HSET', base .. 'rb', b, job)
  redis.call('HSET', base .. 'since', job, now)
  local last = tonumber(redis.call('HGET', base .. 'last', job) or '0')
  if tonumber(b) > last then redis.call('HSET', base .. 'last', job, b) end
  redis.call('ZADD', base .. 'admitting', now, b)
  redis.call('HSET', base .. 'am', b, message)
end

local function forget_waiting(base, b, job)
  redis.call('ZREM', base .. 'waiting', b)
  redis.call('ZREM', base .. 'wj:' .. job, b)
  redis.call('DEL', base .. 'w:' .. b)
end

-- Forgets job `job`'s frozen build (only if it is build `b`, unless `b` is ''): its hash, its entry
-- by build, its place in the due and order sets. Returns the build forgotten, or 0.
local function forget_frozen(due, job_hash, builds, order, job, b)
  local frozen = redis.call('HGET', job_hash, 'b')
  if not frozen then return 0 end
  if b ~= '' and b ~= frozen then return 0 end
  redis.call('DEL', job_hash)
  redis.call('HDEL', builds, frozen)
  redis.call('ZREM', due, job)
  redis.call('ZREM', order, job)
  return tonumber(frozen)
end
