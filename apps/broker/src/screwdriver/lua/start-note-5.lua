-- start-note: what every start message writes first, in one call: the build's context is kept
-- (once: a retried post keeps the first), and its job's frozen build is forgotten, as the
-- queue-service's start forgets it (frozen-drop, whichever build is frozen).
-- KEYS[1] due zset  KEYS[2] the job's frozen hash  KEYS[3] hash buildId → jobId  KEYS[4] order zset
-- KEYS[5] the build's context
-- ARGV[1] jobId, or '' (a message without one: nothing to forget)  ARGV[2] context JSON  ARGV[3] TTL s
-- Returns the frozen build forgotten, or 0.
redis.call('SET', KEYS[5], ARGV[2], 'EX', ARGV[3], 'NX')
if ARGV[1] == '' then return 0 end
return forget_frozen(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], '')
