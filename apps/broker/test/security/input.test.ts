import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectLogged, expectRefusal, send, sendLogged, startSecurityBroker, type SecurityBroker } from './helpers.js';

/**
 * Hostile input through the real routes (README "API", Bad input and faults): every answer a 4xx with a JSON message, never
 * a 5xx or a stack trace, and the process unharmed (no prototype pollution, still answering).
 */
let s: SecurityBroker;
beforeAll(async () => {
  s = await startSecurityBroker({ listen: true });
});
afterAll(async () => {
  await s?.close();
});

const start = (over: Record<string, unknown> = {}) => ({
  buildId: 900001,
  pipeline: { name: 'screwdriver-cd/x', scmContext: 'github:github.com' },
  buildClusterName: 'alpha',
  ...over,
});
const post = (payload: unknown, headers: Record<string, string> = {}) =>
  send(s.broker.app, {
    method: 'POST',
    url: '/v1/queue/message',
    headers: { ...bearer(s.broker.sdapiToken), 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
const register = (body: unknown) =>
  send(s.broker.app, {
    method: 'PUT',
    url: '/v4/buildClusters',
    headers: { ...bearer(s.broker.adminToken), 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('oversized bodies → 413', () => {
  const big = (bytes: number) => JSON.stringify(start({ padding: 'x'.repeat(bytes) }));
  it("POST /v1/queue/message takes Screwdriver's large start messages (2 MiB), refuses 10.1 MiB naming the limit", async () => {
    const accepted = await send(s.broker.app, {
      method: 'POST',
      url: '/v1/queue/message',
      headers: { ...bearer(s.broker.sdapiToken), 'content-type': 'application/json' },
      payload: JSON.stringify(start({ buildId: 900_777, build: { meta: { padding: 'x'.repeat(2 * 1024 * 1024) } } })),
    });
    expect([200, 201]).toContain(accepted.statusCode);
    const refused = await send(s.broker.app, {
      method: 'POST',
      url: '/v1/queue/message',
      headers: { ...bearer(s.broker.sdapiToken), 'content-type': 'application/json' },
      payload: big(10.1 * 1024 * 1024),
    });
    expectRefusal(refused, { status: 413 });
    expect((JSON.parse(refused.body) as { message: string }).message).toContain(String(10 * 1024 * 1024));
  });

  it.each([
    ['PUT /v4/buildClusters', '/v4/buildClusters', () => s.broker.adminToken],
    ['POST /v4/queues/alpha/poll', '/v4/queues/alpha/poll', () => s.alpha.token()],
  ])('%s with 1.1 MiB', async (_name, url, token) => {
    const answer = await send(s.broker.app, {
      method: url === '/v4/buildClusters' ? 'PUT' : 'POST',
      url,
      headers: { ...bearer(token()), 'content-type': 'application/json' },
      payload: big(1.1 * 1024 * 1024),
    });
    expectRefusal(answer, { status: 413 });
  });

  it('a chunked body without content-length that grows past 10 MiB (real HTTP)', async () => {
    const status = await new Promise<{ statusCode: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${s.broker.url}/v1/queue/message`,
        {
          method: 'POST',
          headers: { ...bearer(s.broker.sdapiToken), 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('{"buildId":1,"pad":"');
      const chunk = 'y'.repeat(64 * 1024);
      for (let i = 0; i < 165; i++) req.write(chunk);
      req.end('"}');
    });
    expectRefusal({ ...status, headers: {} }, { status: 413 });
  });
});

describe('malformed and mistyped bodies → 400 (415 for a foreign content type)', () => {
  const cases: Array<[string, unknown, number]> = [
    ['broken JSON', '{"buildId": 1,', 400],
    ['not JSON', 'buildId=1', 400],
    ['empty body', '', 400],
    ['a JSON array', [start()], 400],
    ['a JSON string', '"start"', 400],
    ['null', 'null', 400],
    ['buildId as text', start({ buildId: 'abc' }), 400],
    ['buildId negative', start({ buildId: -1 }), 400],
    ['buildId zero', start({ buildId: 0 }), 400],
    ['buildId fractional', start({ buildId: 1.5 }), 400],
    ['buildId beyond 2^53', start({ buildId: 2 ** 60 }), 400],
    ['buildId as 1e400 text', '{"buildId":1e400,"pipeline":{"name":"a/b","scmContext":"github:github.com"}}', 400],
    ['pipeline missing', { buildId: 5 }, 400],
    // Ajv coerces the number to "7" (coerceTypes): then the cluster refuses the foreign context.
    ['pipeline.scmContext a number', start({ pipeline: { name: 'a/b', scmContext: 7 } }), 403],
    ['pipeline a string', start({ pipeline: 'a/b' }), 400],
    ['buildClusterName an object', start({ buildClusterName: { $ne: null } }), 400],
    ['deeply nested arrays', `{"buildId":1,"x":${'['.repeat(10000)}${']'.repeat(10000)}}`, 400],
  ];
  it.each(cases)('%s', async (_name, payload, status) => {
    expectRefusal(await post(payload), { status });
  });

  it('a foreign content type → 415 (text/plain is parsed as text, then fails validation: 400)', async () => {
    expectRefusal(await post(JSON.stringify(start()), { 'content-type': 'text/plain' }), { status: [400, 415] });
    expectRefusal(await post('<build/>', { 'content-type': 'application/xml' }), { status: 415 });
    expectRefusal(await post('a=1', { 'content-type': 'application/x-www-form-urlencoded' }), { status: 415 });
  });

  it('worker bodies: wrong types, out-of-range values, unknown fields', async () => {
    const token = s.alpha.token();
    // (workerId 7 is not in the list: Ajv coerces it to "7", a valid id, and the poll would wait 20 s.)
    for (const payload of [
      {},
      { workerId: { id: 'w' }, waitMs: 0 },
      { workerId: 'w', max: 0 },
      { workerId: 'w', max: 101 },
      { workerId: 'w', waitMs: -1 },
      { workerId: 'w', waitMs: 30001 },
      { workerId: 'w', extra: 1 },
    ]) {
      const answer = await send(s.broker.app, { method: 'POST', url: '/v4/queues/alpha/poll', headers: bearer(token), payload });
      expectRefusal(answer, { status: 400, secrets: [token] });
    }
    for (const payload of [
      { leaseIds: [] },
      { leaseIds: { id: 'x' } },
      { leaseIds: Array.from({ length: 101 }, (_, i) => `${i}:s:1`) },
      { leaseIds: [{}] },
    ]) {
      const answer = await send(s.broker.app, { method: 'POST', url: '/v4/queues/alpha/ack', headers: bearer(token), payload });
      expectRefusal(answer, { status: 400, secrets: [token] });
    }
  });
});

describe('numbers Ajv coerces to Infinity, and NUL characters PostgreSQL cannot store → 400', () => {
  // Found by the fuzz pass: these answered 500 (a Lua error, a driver error) before input-guard.ts.
  const cases: Array<[string, string, string, () => string, unknown]> = [
    ['poll max "1e400"', 'POST', '/v4/queues/alpha/poll', () => s.alpha.token(), { workerId: 'w', waitMs: 0, max: '1e400' }],
    [
      'poll max "Infinity"',
      'POST',
      '/v4/queues/alpha/poll',
      () => s.alpha.token(),
      { workerId: 'w', waitMs: 0, max: 'Infinity' },
    ],
    [
      'extend leaseMs "1e400"',
      'POST',
      '/v4/queues/alpha/extend',
      () => s.alpha.token(),
      { leaseIds: ['1:s:1'], leaseMs: '1e400' },
    ],
    ['start buildId "1e400"', 'POST', '/v1/queue/message', () => s.broker.sdapiToken, start({ buildId: '1e400' })],
    ['stop buildId "Infinity"', 'DELETE', '/v1/queue/message', () => s.broker.sdapiToken, { buildId: 'Infinity' }],
    ['GET /v4/builds/Infinity', 'GET', '/v4/builds/Infinity', () => s.broker.adminToken, undefined],
    ['list filter with a NUL', 'GET', '/v4/buildClusters?scmContext=%00', () => s.broker.adminToken, undefined],
    ['description with a NUL', 'PUT', '/v4/buildClusters/alpha', () => s.broker.adminToken, { description: 'x\u0000' }],
    [
      'pipeline name with a NUL',
      'POST',
      '/v1/queue/message',
      () => s.broker.sdapiToken,
      start({ buildId: 900010, pipeline: { name: 'a\u0000/b', scmContext: 'github:github.com' } }),
    ],
  ];
  it.each(cases)('%s', async (_name, method, url, token, payload) => {
    const answer = await send(s.broker.app, {
      method: method,
      url,
      headers: bearer(token()),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    expectRefusal(answer, { status: 400 });
  });

  it('nothing was stored under "Infinity"', async () => {
    const answer = await send(s.broker.app, {
      method: 'GET',
      url: '/v4/builds/9007199254740991',
      headers: bearer(s.broker.adminToken),
    });
    expect(answer.statusCode).toBe(404);
    const alpha = await send(s.broker.app, {
      method: 'GET',
      url: '/v4/buildClusters/alpha',
      headers: bearer(s.broker.adminToken),
    });
    expect(JSON.parse(alpha.body).description ?? '').not.toContain('\u0000');
  });
});

describe('unicode and control characters in names → 400', () => {
  const names = [
    'clu ster',
    'clu\u0000ster',
    'clu\tster',
    'cluster\n',
    'clüster',
    '💥',
    '\u202eretsulc',
    'a'.repeat(101),
    '.hidden',
    '-dash',
    '',
    'a/b',
    '../etc',
    'Ａｌｐｈａ',
  ];
  it.each(names.map((n) => [JSON.stringify(n), n]))('cluster name %s', async (_label, name) => {
    const answer = await register({
      name,
      scmOrganization: 'o',
      scmContext: 'github:github.com',
      managedBy: 'screwdriver',
      publicKey: s.alpha.keys.publicKey,
      signOption: s.alpha.signOption,
    });
    expectRefusal(answer, { status: 400 });
  });

  it.each(['a b', 'w\u0000', 'w\n', 'wörker', '💥', '\u202e'])('workerId %j', async (workerId) => {
    const answer = await send(s.broker.app, {
      method: 'POST',
      url: '/v4/queues/alpha/poll',
      headers: bearer(s.alpha.token()),
      payload: { workerId, waitMs: 0 },
    });
    expectRefusal(answer, { status: 400 });
  });
});

describe('path tricks', () => {
  const admin = [
    '/v4/buildClusters/..%2f..%2fetc%2fpasswd',
    '/v4/buildClusters/%2e%2e',
    '/v4/buildClusters/%2e%2e%2f%2e%2e%2fv4%2fqueues',
    '/v4/buildClusters/alpha%2f..%2fbeta',
    '/v4/buildClusters/alpha%252f..',
    '/v4/buildClusters/alpha%00',
    '/v4/buildClusters/%ZZ',
    '/v4/buildClusters/%C0%AF',
    '/v4/buildClusters/alpha%0d%0aSet-Cookie:%20x=1',
    '/v4/builds/..%2f1',
    '/v4/builds/1%2f..%2f2',
    '/v4/builds/-1',
    '/v4/builds/1e3',
    '/v4/builds/0x10',
    '/v4/queues/..%2falpha',
    `/v4/buildClusters/${'a'.repeat(5000)}`,
  ];
  it.each(admin)('admin GET %s', async (url) => {
    const answer = await send(s.broker.app, { method: 'GET', url, headers: bearer(s.broker.adminToken) });
    expectRefusal(answer);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  const worker = [
    '/v4/queues/..%2falpha/poll',
    '/v4/queues/alpha%2f..%2fbeta/poll',
    '/v4/queues/alpha%2F/poll',
    '/v4/queues/%2e/poll',
    '/v4/queues/beta%00/poll',
    '/v4/queues//poll',
  ];
  it.each(worker)('worker POST %s with alpha’s token', async (url) => {
    const token = s.alpha.token();
    const answer = await send(s.broker.app, {
      method: 'POST',
      url,
      headers: bearer(token),
      payload: { workerId: 'w', waitMs: 0 },
    });
    expectRefusal(answer, { secrets: [token] });
  });
});

describe('very long headers and URLs (real HTTP)', () => {
  /** Raw HTTP/1.1 over a socket, so nothing on our side trims the request. */
  const raw = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const url = new URL(s.broker.url);
      const socket = connect(Number(url.port), url.hostname, () => socket.end(text));
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    });
  const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

  it.each([
    ['a 64 KB header', `GET /v4/status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`],
    [
      '4,000 headers (48 KB)',
      `GET /v4/status HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 4000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`,
    ],
    ['a 100 KB URL', `GET /v4/buildClusters?q=${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    [
      'a 64 KB Authorization header',
      `GET /v4/buildClusters HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
    ],
  ])('%s → 4xx, and the broker still answers', async (_name, text) => {
    const status = statusOf(await raw(text));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    const alive = await raw('GET /v4/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusOf(alive)).toBe(200);
  });

  it('an 8 KB path within the header limit → 4xx with a JSON message', async () => {
    const answer = await raw(
      `GET /v4/buildClusters/${'a'.repeat(8 * 1024)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.broker.adminToken}\r\nConnection: close\r\n\r\n`,
    );
    const status = statusOf(answer);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    expectRefusal({ statusCode: status, body, headers: {} }, { secrets: [s.broker.adminToken] });
  });
});

describe('prototype pollution keys in bodies', () => {
  const polluted = () => ({}) as Record<string, unknown>;
  const bodies: Array<
    [string, () => Promise<{ statusCode: number; body: string; headers: Record<string, string | string[] | number | undefined> }>]
  > = [
    [
      '__proto__ at the top of a start message',
      () =>
        post(
          '{"__proto__":{"polluted":"yes"},"buildId":900002,"pipeline":{"name":"a/b","scmContext":"github:github.com"},"buildClusterName":"alpha"}',
        ),
    ],
    [
      '__proto__ inside annotations (kept and passed on)',
      () =>
        post(
          '{"buildId":900003,"annotations":{"__proto__":{"polluted":"yes"}},"pipeline":{"name":"a/b","scmContext":"github:github.com"},"buildClusterName":"alpha"}',
        ),
    ],
    [
      'constructor.prototype in a start message',
      () =>
        post(
          '{"constructor":{"prototype":{"polluted":"yes"}},"buildId":900004,"pipeline":{"name":"a/b","scmContext":"github:github.com"},"buildClusterName":"alpha"}',
        ),
    ],
    [
      '__proto__ in a cluster registration',
      () =>
        register(
          `{"__proto__":{"polluted":"yes"},"name":"evil","scmOrganization":"o","scmContext":"c","managedBy":"screwdriver","publicKey":"x","signOption":{}}`,
        ),
    ],
    [
      '__proto__ in a signOption',
      () =>
        register(
          `{"name":"evil2","scmOrganization":"o","scmContext":"c","managedBy":"screwdriver","publicKey":"x","signOption":{"__proto__":{"algorithm":"none"}}}`,
        ),
    ],
    [
      '__proto__ in a poll body',
      () =>
        send(s.broker.app, {
          method: 'POST',
          url: '/v4/queues/alpha/poll',
          headers: { ...bearer(s.alpha.token()), 'content-type': 'application/json' },
          payload: '{"__proto__":{"polluted":"yes"},"workerId":"w","waitMs":0}',
        }),
    ],
  ];
  it.each(bodies)('%s → 400, and nothing polluted', async (_name, sendIt) => {
    const answer = await sendIt();
    expectRefusal(answer, { status: 400 });
    expect(polluted().polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).algorithm).toBeUndefined();
  });

  it('no build from those bodies was queued', async () => {
    for (const id of [900002, 900003, 900004]) {
      const answer = await send(s.broker.app, { method: 'GET', url: `/v4/builds/${id}`, headers: bearer(s.broker.adminToken) });
      expect(answer.statusCode, answer.body).toBe(404);
    }
  });
});

describe('refusals of bad input are logged', () => {
  it.each([
    ['broken JSON', '{"buildId": 1,', 400],
    ['a mistyped field', JSON.stringify(start({ buildId: 'abc' })), 400],
    ['an oversized body', JSON.stringify(start({ pad: 'x'.repeat(10.1 * 1024 * 1024) })), 413],
  ] as const)('%s', async (_name, payload, status) => {
    const answer = await sendLogged(s.logged, {
      method: 'POST',
      url: '/v1/queue/message',
      headers: { ...bearer(s.broker.sdapiToken), 'content-type': 'application/json' },
      payload,
    });
    expectRefusal(answer, { status });
    expectLogged(s.logged, status, [s.broker.sdapiToken]);
  });
});
