-- status: one build of a queue (read only): its hash, its history and, while it is queued, its
-- 1-based position (jobs to deliver again come first, then undelivered entries in stream order).
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] build hash  KEYS[4] history
-- Returns {} when unknown, else {hash field/value list, history list, position or -1, now}
local stream, redeliver, h, hk = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local fields = redis.call('HGETALL', h)
if #fields == 0 then return {} end
local position = -1
if field(fields, 'sst') == 'queued' then
  local sid = field(fields, 'sid')
  local rank = redis.call('ZRANK', redeliver, pad_id(sid))
  if rank then
    position = rank + 1
  else
    local n = redis.call('ZCARD', redeliver)
    local from = '(' .. last_delivered(stream)
    while true do
      local batch = redis.call('XRANGE', stream, from, sid, 'COUNT', 1000)
      n = n + #batch
      if #batch < 1000 then break end
      from = '(' .. batch[#batch][1]
    end
    position = n
  end
end
return {fields, redis.call('LRANGE', hk, 0, -1), position, now_ms()}
