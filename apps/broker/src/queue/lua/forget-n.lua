-- forget: settled builds' directory entries expire with them; one call per ack batch. The number
-- of keys varies per call (numkeys is passed by the caller); all share the directory's slot {d}.
-- KEYS[1..n] directory entries "dir:{d}:b:<id>"
-- ARGV[1] keep ms
-- Returns n
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[1]) end
return #KEYS
