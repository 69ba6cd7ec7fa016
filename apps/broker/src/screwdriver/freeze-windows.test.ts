import cronParser from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { checkWindows, frozenMessage, insideWindow, outOfWindows, queueServiceTime } from './freeze-windows.js';

const MINUTE = 60_000;

/** The cron expression cron-parser is given for a window (`?` read as `*`, as Screwdriver does). */
const asCron = (window: string): string =>
  window
    .trim()
    .split(/\s+/)
    .map((f) => (f === '?' ? '*' : f))
    .join(' ');

/** By cron-parser alone: whether the window matches the whole minute `t`. */
function cronMatches(window: string, t: number): boolean {
  const it = cronParser.parseExpression(asCron(window), { currentDate: new Date(t - MINUTE), utc: true });
  return it.next().getTime() === t;
}

/**
 * Checks an end against cron-parser: the end's minute is not in the window, and the minutes from
 * the start up to it are (the first and last one, and up to 60 spread between: a walk through every
 * minute of a three-day window takes cron-parser too long).
 */
function expectCronAgrees(window: string, start: Date, end: Date): void {
  const first = Math.floor(start.getTime() / MINUTE) * MINUTE;
  const last = Math.floor(end.getTime() / MINUTE) * MINUTE;
  expect(cronMatches(window, last), `cron-parser: ${new Date(last).toISOString()} outside ${window}`).toBe(false);
  const minutes = (last - first) / MINUTE;
  const step = Math.max(1, Math.floor(minutes / 60));
  for (let m = 0; m < minutes; m += step) {
    const t = first + m * MINUTE;
    expect(cronMatches(window, t), `cron-parser: ${new Date(t).toISOString()} inside ${window}`).toBe(true);
  }
  expect(cronMatches(window, last - MINUTE)).toBe(true);
}

describe('freeze windows: when a window ends (UTC), compared with cron-parser', () => {
  // 2026-12-02 is a Wednesday.
  const cases: Array<{ window: string; at: string; end: string }> = [
    { window: '30 1 * * ?', at: '2026-12-02T01:30:17.250Z', end: '2026-12-02T01:31:17.250Z' },
    { window: '0-29 * * * ?', at: '2026-12-02T10:05:00Z', end: '2026-12-02T10:30:00Z' },
    { window: '*/2 * * * ?', at: '2026-12-02T10:04:09Z', end: '2026-12-02T10:05:09Z' },
    { window: '50-59,0-9 * * * ?', at: '2026-12-02T10:55:00Z', end: '2026-12-02T11:10:00Z' },
    { window: '* 22-23,0-5 * * ?', at: '2026-12-02T23:15:42Z', end: '2026-12-03T06:00:42Z' },
    { window: '* 9-17 ? * 1-5', at: '2026-12-02T10:00:00Z', end: '2026-12-02T18:00:00Z' },
    { window: '* * ? * 3-5', at: '2026-12-02T10:20:05Z', end: '2026-12-05T00:00:05Z' },
    { window: '* * ? * 0,6', at: '2026-12-06T08:00:00Z', end: '2026-12-07T00:00:00Z' },
    { window: '* * ? * 5-6,0', at: '2026-12-05T12:00:00Z', end: '2026-12-07T00:00:00Z' },
    { window: '* * 24-26 12 ?', at: '2026-12-25T13:45:00Z', end: '2026-12-27T00:00:00Z' },
    { window: '* * * 12 ?', at: '2026-12-31T20:00:00Z', end: '2027-01-01T00:00:00Z' },
    { window: '* * * 11-12 ?', at: '2026-12-31T23:59:30Z', end: '2027-01-01T00:00:30Z' },
  ];

  for (const { window, at, end } of cases) {
    it(`${window} at ${at} ends at ${end}`, () => {
      const start = new Date(at);
      expect(insideWindow(window, start)).toBe(true);
      const got = outOfWindows([window], start);
      expect(got.getTime(), got.toISOString()).toBe(Date.parse(end));
      expectCronAgrees(window, start, got);
      expect(got.getUTCSeconds()).toBe(start.getUTCSeconds());
      expect(insideWindow(window, got)).toBe(false);
      expect(start.getTime()).toBe(Date.parse(at));
    });
  }

  it('leaves a time outside every window as it is', () => {
    const at = new Date('2026-12-02T12:00:00Z');
    for (const window of ['* 0-5 * * ?', '* * ? * 0,6', '* * 1 * ?', '* * * 1-11 ?', '0 12 * * ?']) {
      const expected = window === '0 12 * * ?' ? '2026-12-02T12:01:00.000Z' : at.toISOString();
      expect(outOfWindows([window], at).toISOString()).toBe(expected);
    }
    expect(outOfWindows([], at).getTime()).toBe(at.getTime());
  });

  it('pushes the end through several windows (10-11 then 11-12 ends at 12:00)', () => {
    const at = new Date('2026-12-02T10:30:00Z');
    expect(outOfWindows(['* 10 * * ?', '* 11 * * ?'], at).toISOString()).toBe('2026-12-02T12:00:00.000Z');
    expect(outOfWindows(['* 11 * * ?', '* 10 * * ?'], at).toISOString()).toBe('2026-12-02T12:00:00.000Z');
    // A weekday window and a nightly one: Friday 23:30 ends on Saturday at 00:00, outside both.
    const friday = new Date('2026-12-04T23:30:00Z');
    const end = outOfWindows(['* 22-23 * * ?', '* * ? * 1-5'], friday);
    expect(end.toISOString()).toBe('2026-12-05T00:00:00.000Z');
    expect(insideWindow('* 22-23 * * ?', end) || insideWindow('* * ? * 1-5', end)).toBe(false);
  });

  it('refuses what Screwdriver refuses: not 5 fields, both day fields, no cron', () => {
    expect(() => checkWindows(['* * * * * *'])).toThrow(/exactly 5 fields/);
    expect(() => checkWindows(['* * 1 * 1'])).toThrow(/both the day of the month and the day of the week/);
    expect(() => checkWindows(['* 25 * * ?'])).toThrow(/not a cron expression/);
    expect(() => checkWindows(['* * ? * 1-5', '0 0 1 1 ?'])).not.toThrow();
  });

  it('words the FROZEN message as the queue-service (a Date printed in a UTC process)', () => {
    const at = new Date('2026-12-02T01:31:17.250Z');
    expect(queueServiceTime(at)).toBe('Wed Dec 02 2026 01:31:17 GMT+0000 (Coordinated Universal Time)');
    expect(frozenMessage(at)).toBe(
      'Blocked by freeze window, re-enqueued to Wed Dec 02 2026 01:31:17 GMT+0000 (Coordinated Universal Time)',
    );
    if (at.getTimezoneOffset() === 0 && Intl.DateTimeFormat().resolvedOptions().timeZone === 'UTC') {
      expect(queueServiceTime(at)).toBe(at.toString());
    }
  });
});
