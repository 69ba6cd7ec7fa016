import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casesFor, seededRandom, urlOf, type FuzzHints } from '@buildcluster/testkit/fuzz';
import { routesOf, type RouteSpec } from '@buildcluster/testkit/openapi';
import { leakProblems, refusalProblems } from '@buildcluster/testkit/answers';
import { bearer, clusterFixture, register, send, startSecurityBroker, type SecurityBroker } from './helpers.js';

/**
 * A seeded fuzz pass over every route the OpenAPI document (/docs/json) lists: per route the valid
 * base request, then wrong types, missing and extra fields, boundary values, pattern breakers,
 * path tricks, prototype-pollution keys and broken JSON, one part at a time. Every answer must be
 * a 2xx (the input happened to be valid) or a 4xx with a JSON `message`; never a 5xx, a stack
 * trace or a token. Replay a failure with FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const CASES_PER_ROUTE = Number(process.env.FUZZ_CASES ?? 150);

let s: SecurityBroker;
let routes: RouteSpec[] = [];
beforeAll(async () => {
  s = await startSecurityBroker();
  // The admin routes that change or delete a named cluster get a sacrificial one, not alpha.
  await register(s.broker.app, s.broker.adminToken, clusterFixture('fuzz-target'));
  const docs = await s.broker.app.inject({ method: 'GET', url: '/docs/json' });
  expect(docs.statusCode).toBe(200);
  routes = routesOf(docs.json());
}, 60_000);
afterAll(async () => {
  await s?.close();
});

const hints = (): FuzzHints => ({
  params: { cluster: 'alpha', name: 'fuzz-target', buildId: '424242' },
  fields: {
    publicKey: clusterFixture('fuzz-key').keys.publicKey,
    signOption: { issuer: 'fuzz', subject: 'fuzz', audience: 'fuzz', expiresIn: 600, algorithm: 'ES256' },
    workerId: 'fuzz-worker',
    waitMs: 0,
    leaseIds: ['1:s:1'],
    pipeline: { name: 'screwdriver-cd/fuzz', scmContext: 'github:github.com' },
  },
  slowFields: ['waitMs'],
});

describe('fuzz over the OpenAPI document', () => {
  it('finds the routes to fuzz', () => {
    const listed = routes.map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'PUT /v4/buildClusters',
      'POST /v1/queue/message',
      'POST /v4/queues/{cluster}/poll',
      'POST /v4/queues/{cluster}/ack',
      'GET /v4/builds/{buildId}',
    ]) {
      expect(listed).toContain(expected);
    }
  });

  it(`every answer is a 2xx or a 4xx with a message (seed ${SEED}, up to ${CASES_PER_ROUTE} cases a route)`, async () => {
    const random = seededRandom(SEED);
    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    const slow: string[] = [];
    let sent = 0;
    for (const route of routes) {
      let token = route.security === 'clusterToken' ? s.alpha.token() : route.security === 'apiToken' ? s.broker.adminToken : '';
      const cases = casesFor(route, hints(), random, CASES_PER_ROUTE);
      for (const [index, c] of cases.entries()) {
        const headers: Record<string, string> = token ? bearer(token) : {};
        const hasBody = c.rawBody !== undefined || c.body !== undefined;
        if (hasBody) headers['content-type'] = 'application/json';
        const before = Date.now();
        const answer = await send(s.broker.app, {
          method: route.method,
          url: urlOf(route, c),
          headers,
          ...(hasBody ? { payload: c.rawBody ?? JSON.stringify(c.body) } : {}),
        });
        sent++;
        if (Date.now() - before > 2000) slow.push(`${route.method} ${urlOf(route, c)} — ${c.label}: ${Date.now() - before} ms`);
        statuses[answer.statusCode] = (statuses[answer.statusCode] ?? 0) + 1;
        // Some API routes take only the sdapi scope: switch tokens once the base request says so.
        if (index === 0 && answer.statusCode === 403 && route.security === 'apiToken') token = s.broker.sdapiToken;
        const ok = answer.statusCode >= 200 && answer.statusCode < 300;
        const problems = ok ? leakProblems(answer, [token]) : refusalProblems(answer, { secrets: [token] });
        if (problems.length > 0) {
          failures.push(
            `${route.method} ${route.path} — ${c.label}: ${problems.join('; ')} — answer ${answer.statusCode} ${answer.body.slice(0, 200)}`,
          );
        }
      }
    }
    expect(sent).toBeGreaterThan(routes.length * 10);
    expect(failures, `seed ${SEED}; statuses ${JSON.stringify(statuses)}`).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A case that waits (a valid long poll) would make the pass slow; none should.
    expect(slow).toEqual([]);
  }, 120_000);
});
