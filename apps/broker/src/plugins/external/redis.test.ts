import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../../../test/support/broker.js';
import { failUnansweredOnReconnect, redisOptions } from './redis.js';

/**
 * A command Redis ran but whose reply was lost with the connection must not be sent again after
 * the reconnect: a poll without pollId, a nack or an append would then run twice. A TCP relay
 * between the client and the real Redis drops the connection right after Redis answered.
 */
describe('redis connection', () => {
  const target = new URL(TEST_REDIS_URL);
  const prefix = `bcb-test-resend-${process.pid}:`;
  let relay: Server;
  let port = 0;
  let cutNextReply = false;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    relay = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      sockets.add(client).add(upstream);
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => {
        if (cutNextReply && chunk.includes(':')) {
          // Redis ran the command: lose its reply with the connection.
          cutNextReply = false;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    port = (relay.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => relay.close(resolve));
  });

  it('does not send again a command whose reply was lost', async () => {
    const redis = new Redis(`redis://127.0.0.1:${port}`, redisOptions(prefix));
    redis.on('error', () => {});
    failUnansweredOnReconnect(redis);
    const direct = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
    try {
      await redis.del('counter');
      await redis.ping();
      cutNextReply = true;
      const outcome = await redis.incr('counter').then(
        () => 'answered',
        () => 'failed',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await direct.get('counter')).toBe('1');
      expect(outcome).toBe('failed');
      // The client is usable again after the reconnect.
      expect(await redis.incr('counter')).toBe(2);
    } finally {
      await direct.del('counter');
      redis.disconnect();
      direct.disconnect();
    }
  });
});
