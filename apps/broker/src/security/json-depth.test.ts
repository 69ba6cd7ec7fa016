import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../test/support/broker.js';
import { registration } from '@buildcluster/testkit/clusters';
import { startMessage } from '@buildcluster/testkit/queue';
import { MAX_JSON_DEPTH, jsonDepthProblem } from './json-depth.js';

/** Deeply nested JSON is refused before anything recurses over it (parse, schema, guards). */
describe('JSON nesting limit', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => broker.close());

  const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const deepObject = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

  it.each([
    ['POST', '/v1/queue/message', 'sdapi'],
    ['PUT', '/v4/buildClusters', 'admin'],
  ] as const)('%s %s: 20,000 levels in a 40 KB body answer 400 naming the limit', async (method, url, who) => {
    const token = who === 'sdapi' ? broker.sdapiToken : broker.adminToken;
    // A valid body with one deep field: this one overflowed the stack after parsing (500) before.
    const valid = JSON.stringify(url === '/v1/queue/message' ? startMessage(1) : registration('deep').body);
    const inside = `${valid.slice(0, -1)}, "annotations": ${deepObject(8000)}}`;
    for (const payload of [deep(20_000), deepObject(20_000), inside, `{"buildId": 1, "x": ${deep(MAX_JSON_DEPTH + 1)}}`]) {
      const res = await broker.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().message).toContain(`${MAX_JSON_DEPTH} levels`);
    }
  });

  it('counts only brackets outside strings', () => {
    expect(jsonDepthProblem(`{"a": "${'['.repeat(500)}", "b": [[1]]}`)).toBeNull();
    expect(jsonDepthProblem(`{"a": "\\"${'{'.repeat(500)}"}`)).toBeNull();
    expect(jsonDepthProblem(deep(MAX_JSON_DEPTH))).toBeNull();
    expect(jsonDepthProblem(deep(MAX_JSON_DEPTH + 1))).toContain(`${MAX_JSON_DEPTH} levels`);
    // More brackets in all than the limit, but shallow: the full scan decides, and lets it through.
    expect(jsonDepthProblem(`[${Array.from({ length: 1000 }, () => '{"a": [1]}').join(',')}]`)).toBeNull();
  });
});
