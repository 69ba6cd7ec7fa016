import { describe, expect, it } from 'vitest';
import { inputProblem } from './input-guard.js';

describe('inputProblem', () => {
  it('names the first non-finite number or NUL character', () => {
    expect(inputProblem({ max: Infinity }, 'body')).toBe('body/max must be a finite number');
    expect(inputProblem({ a: [1, { b: Number.NaN }] }, 'body')).toBe('body/a/1/b must be a finite number');
    expect(inputProblem({ name: 'x\u0000y' }, 'querystring')).toBe('querystring/name must not contain NUL characters');
    expect(inputProblem({ ['k\u0000']: 1 }, 'body')).toBe('body must not have a key with NUL characters');
  });

  it('accepts ordinary input', () => {
    expect(
      inputProblem({ buildId: 5, pipeline: { name: 'a/b' }, list: [1, 'x', null, true], u: 'ümlaut 💥' }, 'body'),
    ).toBeNull();
    expect(inputProblem(undefined, 'body')).toBeNull();
  });
});
