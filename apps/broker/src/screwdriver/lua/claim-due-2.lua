-- claim-due: take the entries of a due-time zset whose time has come, for one replica at a time.
-- Each taken entry's due time moves claimMs ahead, so a replica that dies while acting on it only
-- delays it: another takes it again once the claim has run out.
-- KEYS[1] due zset (member id, score due time ms, Redis clock)
-- KEYS[2] base of the per-entry hashes (the hash of id is base..id; a key, so it carries the key prefix)
-- ARGV[1] limit  ARGV[2] claimMs  ARGV[3..] fields of the hash to return
-- Returns {now, id1, field values of id1..., id2, ...}; entries whose hash is gone are dropped.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local out = { now }
for _, id in ipairs(ids) do
  local key = KEYS[2] .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    out[#out + 1] = id
    local values = redis.call('HMGET', key, unpack(fields))
    for i = 1, #fields do out[#out + 1] = values[i] or '' end
  end
end
return out
