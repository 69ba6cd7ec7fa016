-- lift: takes back a retire mark whose delete did not happen (the PostgreSQL delete failed, or the
-- broker died before it). Only the mark of that attempt: never a sealed one, never another's.
-- KEYS[1] meta
-- ARGV[1] token
-- Returns 1 when lifted
if redis.call('HGET', KEYS[1], 'gone') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'gone')
  return 1
end
return 0
