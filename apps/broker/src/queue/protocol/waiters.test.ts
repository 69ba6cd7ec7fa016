import { describe, expect, it } from 'vitest';
import { PollLinger } from './linger.js';
import { Waiters } from './waiters.js';

/** Waiting polls in one process: wake-ups, gathering for a batch, and the adaptive linger. */
describe('waiters', () => {
  it('wakes as many waiting polls as jobs arrived, oldest first', async () => {
    const waiters = new Waiters();
    const order: string[] = [];
    const a = waiters.wait('q', 5000).then((o) => order.push(`a ${o}`));
    const b = waiters.wait('q', 5000).then((o) => order.push(`b ${o}`));
    const c = waiters.wait('q', 50).then((o) => order.push(`c ${o}`));
    waiters.wake('q', 2);
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a woken', 'b woken', 'c timeout']);
  });

  it('credits arrivals to a gathering poll before it wakes others, and lets it go once it has its batch', async () => {
    const waiters = new Waiters();
    let other = '';
    void waiters.wait('q', 300).then((o) => (other = o));
    const started = Date.now();
    const gathered = waiters.gather('q', 3, 5000);
    waiters.wake('q', 1);
    waiters.wake('q', 2);
    expect(await gathered).toBe(3);
    expect(Date.now() - started).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 10));
    expect(other).toBe('');
    // The three went to the gathering poll: the waiting one was not woken for builds it would not find.
    waiters.wake('q', 1);
    await new Promise((r) => setTimeout(r, 10));
    expect(other).toBe('woken');
  });

  it('ends a gathering at its time limit, on abort and on shutdown', async () => {
    const waiters = new Waiters();
    const started = Date.now();
    const timed = waiters.gather('q', 10, 60);
    waiters.wake('q', 2);
    expect(await timed).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    const abort = new AbortController();
    const aborted = waiters.gather('q', 10, 60_000, abort.signal);
    abort.abort();
    await aborted;
    const closed = waiters.gather('q', 10, 60_000);
    waiters.closeAll();
    await closed;
    await expect(waiters.gather('q', 10, 60_000)).resolves.toBe(0);
  });
});

describe('poll linger', () => {
  it('is nothing while the event loop is idle and grows to its limit while it is saturated', async () => {
    const linger = new PollLinger(200);
    try {
      await new Promise((r) => setTimeout(r, 120));
      linger.sample();
      expect(linger.ms).toBe(0);
      // Keep the event loop busy for several samples.
      for (let i = 0; i < 6; i++) {
        const until = Date.now() + 100;
        while (Date.now() < until) {
          /* busy */
        }
        linger.sample();
      }
      expect(linger.utilization).toBeGreaterThan(0.9);
      expect(linger.ms).toBe(200);
    } finally {
      linger.close();
    }
  });

  it('is off at 0', () => {
    const linger = new PollLinger(0);
    const until = Date.now() + 50;
    while (Date.now() < until) {
      /* busy */
    }
    linger.sample();
    expect(linger.ms).toBe(0);
    linger.close();
  });
});
