-- settle: assigned or claimed builds are in their queue now; drop them from their journal (the
-- bucket's assigning or claims zset), and the message of each one dropped (a build no longer in
-- that journal may be pending again, and its message is then the pending one's).
-- KEYS[1] journal zset  KEYS[2] bucket's messages
-- ARGV[1..n] buildIds
-- Returns the number dropped from the journal
local n = 0
for _, b in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[1], b) == 1 then
    redis.call('HDEL', KEYS[2], b)
    n = n + 1
  end
end
return n
