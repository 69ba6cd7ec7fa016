-- rules-settle: build b is over for the rules (Screwdriver stopped it: it finished, was aborted,
-- or never started): its job stops counting it as running, a waiting b is dropped, and every
-- waiting build that nothing blocks any more starts, in arrival order, in the same step.
-- KEYS[1] base of the rules keys (see rules-admit)
-- ARGV[1] buildId
-- Returns {was: 'running'|'waiting'|'none', {released buildId, message, ...}}
local base = KEYS[1]
local b = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local was = 'none'
local w = base .. 'w:' .. b
if redis.call('EXISTS', w) == 1 then
  forget_waiting(base, b, redis.call('HGET', w, 'job'))
  was = 'waiting'
end
-- The job b runs for, as recorded when it was let go (a stop message may name none).
local job = redis.call('HGET', base .. 'rb', b)
if job then
  redis.call('HDEL', base .. 'rb', b)
  if redis.call('HGET', base .. 'running', job) == b then
    redis.call('HDEL', base .. 'running', job)
    redis.call('HDEL', base .. 'until', job)
  end
  was = 'running'
end

local released = {}
if was == 'running' then
  local started = {}
  for _, id in ipairs(redis.call('ZRANGE', base .. 'waiting', 0, -1)) do
    local h = base .. 'w:' .. id
    local wjob = redis.call('HGET', h, 'job')
    -- One build per job per pass, and without collapse the oldest waiting one of its job first.
    if wjob and not started[wjob] then
      local collapse = redis.call('HGET', h, 'c') == '1'
      local first = redis.call('ZRANGE', base .. 'wj:' .. wjob, 0, 0)[1]
      local next_up = collapse and redis.call('ZRANGE', base .. 'wj:' .. wjob, -1, -1)[1] or first
      if next_up == id then
        local blocking = blockers(base, id, wjob, redis.call('HGET', h, 'by'), redis.call('HGET', h, 'sj'), redis.call('HGET', h, 'wt'), now)
        if #blocking == 0 then
          local message = redis.call('HGET', h, 'm')
          local hold = redis.call('HGET', h, 'hold')
          forget_waiting(base, id, wjob)
          let_go(base, id, wjob, message, now, hold)
          started[wjob] = true
          released[#released + 1] = tonumber(id)
          released[#released + 1] = message
        end
      end
    end
  end
end
return {was, released}
