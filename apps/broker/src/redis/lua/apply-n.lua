-- apply: a WriteBatch's writes in one call (write-batch.ts). KEYS: the keys written, all of one
-- slot on a Redis Cluster. ARGV: writes, each `key index, command, argument count, arguments…`.
-- Every write is tried (pcall), as in a pipeline; the first failure is the reply, once all ran.
local failed = nil
local i = 1
while i <= #ARGV do
  local key, command, n = KEYS[tonumber(ARGV[i])], ARGV[i + 1], tonumber(ARGV[i + 2])
  local reply = redis.pcall(command, key, unpack(ARGV, i + 3, i + 2 + n))
  if failed == nil and type(reply) == 'table' and reply.err then failed = reply.err end
  i = i + 3 + n
end
if failed then return redis.error_reply(failed) end
return #KEYS
