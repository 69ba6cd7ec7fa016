import { describe, expect, it } from 'vitest';
import { Backoff, sleep } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling per failure, draws from its upper half, and stops at the cap', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    const lows = Array.from({ length: 7 }, () => low.next());
    const highs = Array.from({ length: 7 }, () => high.next());
    expect(lows).toEqual([50, 100, 200, 400, 500, 500, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('never waits less than half the base delay, so failures cannot spin', () => {
    const backoff = new Backoff({ baseMs: 500, maxMs: 30_000 });
    for (let i = 0; i < 200; i++) {
      const wait = backoff.next();
      expect(wait).toBeGreaterThanOrEqual(250);
      expect(wait).toBeLessThanOrEqual(30_000);
    }
    expect(backoff.attempts).toBe(200);
  });

  it('spreads the delays of many workers (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff({ baseMs: 1000, maxMs: 60_000 }).next()));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 10_000, random: () => 0 });
    backoff.next();
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it('rejects a cap below the base', () => {
    expect(() => new Backoff({ baseMs: 100, maxMs: 50 })).toThrow(/baseMs/);
  });

  it('sleep ends early when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await sleep(10_000, controller.signal);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
