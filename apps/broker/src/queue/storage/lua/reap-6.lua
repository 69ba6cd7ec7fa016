-- reap: ends the leases of a queue whose deadline has passed (run by each replica's timer, so
-- that expired builds become deliverable, or dead, even when nobody polls), and wakes waiting polls.
-- KEYS[1] stream  KEYS[2] redeliver  KEYS[3] leases  KEYS[4] meta  KEYS[5] dead  KEYS[6] queue base
-- ARGV[1] maxAttempts  ARGV[2] wake channel  ARGV[3] queue name  ARGV[4] limit  ARGV[5] keep ms
-- Returns {now, next lease deadline or -1, expired, requeued, events {b, t, state, detail}..., depth}
local K = {stream = KEYS[1], redeliver = KEYS[2], leases = KEYS[3], meta = KEYS[4], dead = KEYS[5]}
local now = now_ms()
local ev = {}
local expired, requeued = reap(K, KEYS[6], now, tonumber(ARGV[1]), tonumber(ARGV[5]), tonumber(ARGV[4]), ev)
if requeued > 0 then
  redis.call('PUBLISH', ARGV[2], ARGV[3] .. '\n' .. requeued)
end
return {now, next_deadline(K.leases), expired, requeued, ev, depth_of(K.meta)}
