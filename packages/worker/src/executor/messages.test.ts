import type { Job } from '@buildcluster/protocol';
import { describe, expect, it } from 'vitest';
import { startMessage, stopMessage } from './messages.js';

const job = (message: Record<string, unknown>): Job => ({
  leaseId: '9:s:1',
  buildId: 9,
  type: 'start',
  attempt: 1,
  maxAttempts: 5,
  enqueuedAt: new Date().toISOString(),
  leaseExpiresAt: new Date().toISOString(),
  message,
});

describe('messages for executor-base', () => {
  it("drops a buildClusterName Screwdriver's rule refuses, keeps one it accepts", () => {
    expect(startMessage(job({ buildId: 9, buildClusterName: 'a'.repeat(51) }))).not.toHaveProperty('buildClusterName');
    expect(startMessage(job({ buildId: 9, buildClusterName: 'has space' }))).not.toHaveProperty('buildClusterName');
    expect(startMessage(job({ buildId: 9, buildClusterName: 'aws-usw2.b_1' })).buildClusterName).toBe('aws-usw2.b_1');
  });

  it('completes a stop from its start, drops the token, and says what it could not find', () => {
    const start = startMessage(
      job({
        buildId: 9,
        apiUri: 'https://api',
        jobId: 7,
        pipeline: { id: 3 },
        jobName: 'main',
        annotations: { a: 1 },
        blockedBy: [7],
        token: 'launcher',
      }),
    );
    const plan = stopMessage(9, { buildId: 9, token: 'old', jobName: 'main-from-stop' }, start, undefined);
    expect(plan.message).toEqual({
      buildId: 9,
      apiUri: 'https://api',
      jobId: 7,
      pipelineId: 3,
      jobName: 'main-from-stop',
      annotations: { a: 1 },
      blockedBy: [7],
    });
    expect(plan.missing).toEqual(['provider']);
    const unseen = stopMessage(9, { buildId: 9 }, undefined, 'https://api.eco');
    expect(unseen.message.apiUri).toBe('https://api.eco');
    expect(unseen.missing).toEqual(['jobId', 'pipelineId', 'jobName', 'annotations', 'blockedBy', 'provider']);
  });
});
