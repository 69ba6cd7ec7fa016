-- Writes one cluster into the cache unless the cached copy is newer (two replicas racing on one
-- cluster: the later PostgreSQL write wins).
-- KEYS[1] the cluster's hash, KEYS[2] the set of cached cluster names, KEYS[3] the cache generation
-- ARGV[1] version (the row's updatedAt, epoch ms), ARGV[2] the cluster name, ARGV[3..] field, value, ...
-- Returns the new generation, or 0 when a newer copy was kept.
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) > tonumber(ARGV[1]) then
  return 0
end
redis.call('DEL', KEYS[1])
local fields = {}
for i = 3, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(fields))
redis.call('SADD', KEYS[2], ARGV[2])
return redis.call('INCR', KEYS[3])
