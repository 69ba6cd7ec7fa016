-- upgrade: moves one build of the previous directory layout (every build under {d}) into its
-- bucket: its entry (RENAME keeps its time to live), and its place on the pending list, its
-- message and its assigning journal entry, at the same scores. One Redis only (the two layouts
-- lie in different slots; the previous version never ran on a Redis Cluster). Idempotent: an
-- entry already in the bucket wins, and what is moved is gone from the old keys.
-- KEYS[1] old entry  KEYS[2] new entry  KEYS[3] old pending  KEYS[4] old messages
-- KEYS[5] old assigning  KEYS[6] new pending  KEYS[7] new messages  KEYS[8] new assigning
-- ARGV[1] buildId
-- Returns 1 when an entry was moved, else 0
local b = ARGV[1]
local moved = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('RENAME', KEYS[1], KEYS[2])
    moved = 1
  else
    redis.call('DEL', KEYS[1])
  end
end
-- Moves member b of sorted set `from` to `to`, with its score.
local function move_scored(from, to)
  local score = redis.call('ZSCORE', from, b)
  if score then
    redis.call('ZADD', to, score, b)
    redis.call('ZREM', from, b)
  end
end
move_scored(KEYS[3], KEYS[6])
local m = redis.call('HGET', KEYS[4], b)
if m then
  redis.call('HSETNX', KEYS[7], b, m)
  redis.call('HDEL', KEYS[4], b)
end
move_scored(KEYS[5], KEYS[8])
return moved
