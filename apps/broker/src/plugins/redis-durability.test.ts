import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../testing/index.js';

/** GET /v4/status warns when the Redis holding the queues keeps no append-only file. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const servers: Array<{ child: ChildProcess; dir: string }> = [];

async function redisServer(args: string[]): Promise<string> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bcb-aof-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...args], {
    stdio: 'ignore',
  });
  servers.push({ child, dir });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const up = await probe.connect().then(
      () => probe.ping().then(() => true),
      () => false,
    );
    probe.disconnect();
    if (up) return url;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

afterAll(() => {
  for (const { child, dir } of servers) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
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
      const url = await redisServer([...args]);
      const broker = await startTestBroker({ env: { REDIS_URL: url, REDIS_AOF_CHECK: 'true' } });
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
