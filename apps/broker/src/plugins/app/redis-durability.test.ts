import { afterAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../../test/support/broker.js';
import { startOwnRedis, type OwnRedis } from '@buildcluster/testkit/redis-server';
import { rsaPair } from '@buildcluster/testkit/keys';

/** GET /v4/status warns when the Redis holding the queues keeps no append-only file. */
const servers: OwnRedis[] = [];
// With a queue key the broker has nothing else to warn about: only Redis's persistence is told.
const QUEUE_JWT_PRIVATE_KEY = rsaPair().privateKey;

afterAll(() => {
  for (const server of servers) server.stop();
});

describe('GET /v4/status and Redis persistence', () => {
  it.each([
    ['without AOF', ['--appendonly', 'no'], /without AOF/],
    ['with appendfsync no', ['--appendonly', 'yes', '--appendfsync', 'no'], /appendfsync no/],
    ['with AOF and appendfsync always', ['--appendonly', 'yes', '--appendfsync', 'always'], null],
    ['with AOF and appendfsync everysec', ['--appendonly', 'yes', '--appendfsync', 'everysec'], null],
  ] as const)(
    '%s',
    async (_what, args, warning) => {
      const server = await startOwnRedis([...args]);
      servers.push(server);
      const broker = await startTestBroker({ env: { REDIS_URL: server.url, REDIS_AOF_CHECK: 'true', QUEUE_JWT_PRIVATE_KEY } });
      try {
        const res = await broker.app.inject({ method: 'GET', url: '/v4/status' });
        expect(res.statusCode).toBe(200);
        const body = res.json<{ status: string; warnings?: string[] }>();
        expect(body.status).toBe('ok');
        if (warning) {
          expect(body.warnings).toHaveLength(1);
          expect(body.warnings![0]).toMatch(warning);
        } else {
          expect(body).toEqual({ status: 'ok' });
        }
      } finally {
        await broker.close();
      }
    },
    60_000,
  );
});
