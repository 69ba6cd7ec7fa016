import { describe, expect, it } from 'vitest';
import { CronError, firstTick, nextTick, stringHash, transformCron } from './cron.js';
import { scheduleClock } from './clock.js';

/**
 * Expected values worked out from the queue-service's code (plugins/queue/utils/cron.js and the
 * string-hash package it uses), by hand and with an independent 32-bit arithmetic, not by running it:
 * hash("1") = ((5381 * 33) xor 49) = 177556, so job 1's H minute is 177556 % 60 = 16, its H hour
 * 177556 % 24 = 4.
 */
const KNOWN = [
  { jobId: 1, hash: 177556, minute: 16, hour: 4, dayOfMonth: 20, month: 5, dayOfWeek: 1, within10to20: 15 },
  { jobId: 42, hash: 5859395, minute: 35, hour: 11, dayOfMonth: 24, month: 12, dayOfWeek: 3, within10to20: 13 },
  { jobId: 12345, hash: 109950804, minute: 24, hour: 12, dayOfMonth: 5, month: 1, dayOfWeek: 5, within10to20: 17 },
  { jobId: 987654, hash: 3592553028, minute: 48, hour: 12, dayOfMonth: 12, month: 1, dayOfWeek: 1, within10to20: 19 },
];

describe("Screwdriver's cron with H (queue-service utils/cron.js)", () => {
  it.each(KNOWN)('job $jobId hashes as string-hash does', ({ jobId, hash }) => {
    expect(stringHash(String(jobId))).toBe(hash);
  });

  it.each(KNOWN)('job $jobId gets the H values Screwdriver gives it, in every field', (k) => {
    expect(transformCron('H H H H H', k.jobId)).toBe(`${k.minute} ${k.hour} ${k.dayOfMonth} ${k.month} ${k.dayOfWeek}`);
    expect(transformCron('H(10-20) H(10-20) * * *', k.jobId)).toBe(`${k.within10to20} ${k.within10to20} * * *`);
    expect(transformCron('H H/6 * * 1-5', k.jobId)).toBe(`${k.minute} ${k.hour}/6 * * 1-5`);
    expect(transformCron('H 1,H * * *', k.jobId)).toBe(`${k.minute} 1,${k.hour} * * *`);
  });

  it('always hashes the minute: "* * * * *", "5 * * * *" and "H/5 * * * *" all run once an hour', () => {
    for (const cron of ['* * * * *', '5 * * * *', 'H/5 * * * *', '*/1 * * * *']) {
      expect(transformCron(cron, 1), cron).toBe('16 * * * *');
    }
    expect(transformCron('  H   2  *  *  * ', 42)).toBe('35 2 * * *');
  });

  it('refuses what the queue-service refuses, saying why', () => {
    expect(() => transformCron('* * * *', 1)).toThrow(/does not have exactly 5 fields/);
    expect(() => transformCron('0 0 * * * *', 1)).toThrow(CronError);
    expect(() => transformCron('H H(20-30) * * *', 1)).toThrow(/H\(20-30\) is not a valid hour range: it must lie within 0-23/);
    expect(() => transformCron('H H(5-2) * * *', 1)).toThrow(/H\(5-2\)/);
    expect(() => transformCron('H 25 * * *', 1)).toThrow(/is not a valid cron/);
    expect(() => transformCron('H * * JANUARY *', 1)).toThrow(CronError);
  });

  it('computes the next tick in UTC, strictly after the given time', () => {
    const expression = transformCron('H 3 * * *', 1); // 16 3 * * *
    expect(nextTick(expression, new Date('2026-03-01T00:00:00Z')).toISOString()).toBe('2026-03-01T03:16:00.000Z');
    expect(nextTick(expression, new Date('2026-03-01T03:16:00Z')).toISOString()).toBe('2026-03-02T03:16:00.000Z');
    expect(nextTick('35 * * * 1', new Date('2026-03-01T12:00:00Z')).toISOString()).toBe('2026-03-02T00:35:00.000Z');
  });

  it('starts a new schedule at the first tick more than five minutes away, as the queue-service does', () => {
    const expression = transformCron('H * * * *', 1); // 16 * * * *
    expect(firstTick(expression, new Date('2026-03-01T10:00:00Z')).toISOString()).toBe('2026-03-01T10:16:00.000Z');
    expect(firstTick(expression, new Date('2026-03-01T10:12:00Z')).toISOString()).toBe('2026-03-01T11:16:00.000Z');
  });
});

describe('the schedule clock', () => {
  it('is real time at rate 1, and runs `rate` times as fast from its start otherwise', () => {
    let real = 1_000_000;
    const clock = scheduleClock(180, () => real);
    expect(clock().getTime()).toBe(1_000_000);
    real += 20_000;
    expect(clock().getTime()).toBe(1_000_000 + 3_600_000);
    expect(scheduleClock(1, () => real)().getTime()).toBe(real);
  });
});
