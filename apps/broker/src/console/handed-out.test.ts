import { describe, expect, it } from 'vitest';
import { HandedOut } from './handed-out.js';

describe('leases handed out', () => {
  it('gives each lease back once, and forgets the oldest past its limit', () => {
    const leases = new HandedOut(2);
    leases.add('1:s:1', 100, 'w1');
    leases.add('2:s:1', 200, 'w2');
    expect(leases.take('1:s:1')).toEqual({ at: 100, worker: 'w1' });
    expect(leases.take('1:s:1')).toBeUndefined();
    leases.add('3:s:1', 300, 'w3');
    leases.add('4:s:1', 400, 'w4');
    expect(leases.size).toBe(2);
    expect(leases.take('2:s:1')).toBeUndefined();
    expect(leases.take('4:s:1')).toEqual({ at: 400, worker: 'w4' });
  });
});
