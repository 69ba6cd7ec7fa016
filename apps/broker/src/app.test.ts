import { describe, expect, it } from 'vitest';
import { brokerForSuite, type TestBroker } from '../test/support/broker.js';

describe('the broker app', () => {
  let broker: TestBroker;
  brokerForSuite([], (started) => (broker = started));

  it('answers an unknown route with 404 and a message naming it', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/v4/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', message: 'no route GET /v4/nothing-here' });
  });

  it('serves the OpenAPI document', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().openapi).toMatch(/^3\./);
  });

  it('serves Prometheus metrics', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('broker_http_requests_total');
  });
});
