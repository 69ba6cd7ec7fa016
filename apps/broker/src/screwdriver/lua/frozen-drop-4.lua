-- frozen-drop: forget job j's frozen build: it was started, stopped, or a newer build of the job came.
-- KEYS[1] due zset  KEYS[2] the job's frozen hash  KEYS[3] hash buildId → jobId  KEYS[4] order zset
-- ARGV[1] jobId  ARGV[2] buildId, or '' for whichever build is frozen
-- Returns the build forgotten, or 0 (none, or another build of the job is frozen now).
return forget_frozen(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2])
