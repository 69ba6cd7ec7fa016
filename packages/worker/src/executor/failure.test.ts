import { describe, expect, it } from 'vitest';
import { describeExecutorError, permanentReason, statusOf } from './failure.js';

function requestError(status: number, reason: string, code?: string): Error {
  return Object.assign(new Error(`${status} Reason "${reason}"`), { statusCode: status, code });
}

describe('executor errors', () => {
  it('403 and 404 from the backend, and schema failures, are permanent; the rest is worth another attempt', () => {
    expect(permanentReason(requestError(403, 'forbidden'))).toBe('the backend refused it (403)');
    expect(permanentReason(requestError(404, 'no such namespace'))).toBe('the backend does not know it (404)');
    expect(permanentReason(new Error('404 Reason "gone"'))).toBe('the backend does not know it (404)');
    expect(permanentReason(Object.assign(new Error('"Build JWT" is required'), { isJoi: true }))).toMatch(/schema/);
    expect(permanentReason(requestError(500, 'Internal server error', 'ECONNREFUSED'))).toBeNull();
    expect(permanentReason(new Error('CircuitBreaker timeout'))).toBeNull();
    expect(permanentReason(undefined)).toBeNull();
  });

  it('shows the network cause screwdriver-request hides behind a 500', () => {
    expect(describeExecutorError(requestError(500, 'Internal server error', 'ECONNREFUSED'))).toBe(
      '500 Reason "Internal server error" (ECONNREFUSED)',
    );
    expect(describeExecutorError(new Error('connect ECONNREFUSED'))).toBe('connect ECONNREFUSED');
    expect(describeExecutorError('plain')).toBe('plain');
    expect(statusOf(new Error('no status here'))).toBeUndefined();
  });
});
