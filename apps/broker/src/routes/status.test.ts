import { describe, expect, it } from 'vitest';
import { brokerForSuite, type TestBroker } from '../../test/support/broker.js';

describe('status routes', () => {
  let broker: TestBroker;
  brokerForSuite([], (started) => (broker = started));

  it('answers liveness without a token', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/v4/status' });
    expect(res.statusCode).toBe(200);
    // Without QUEUE_JWT_PRIVATE_KEY the answer says what the broker cannot do for Screwdriver.
    expect(res.json()).toEqual({ status: 'ok', warnings: [expect.stringContaining('QUEUE_JWT_PRIVATE_KEY is not set')] });
  });

  it('answers readiness 200 when PostgreSQL and Redis answer', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/v4/status/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
  });

  it('documents both routes in OpenAPI', async () => {
    const doc = (await broker.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v4/status', '/v4/status/ready', '/v4/buildClusters', '/v4/buildClusters/{name}']),
    );
  });
});
