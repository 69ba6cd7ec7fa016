import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { flushPrefix, TEST_REDIS_URL } from '@buildcluster/testkit/redis';

/**
 * A Redis client on the test Redis under a key prefix of its own (`<label>-<random>:`) for the
 * enclosing `describe`, or the file when called at its top: connected before the tests and handed
 * to `ready`, then disconnected and every key under the prefix removed. Returns the prefix.
 * `connect` makes the client (by default one client of TEST_REDIS_URL).
 */
export function prefixedRedis(
  label: string,
  ready: (redis: Redis) => void,
  connect: (keyPrefix: string) => Redis = (keyPrefix) => new Redis(TEST_REDIS_URL, { keyPrefix }),
): string {
  const prefix = `${label}-${randomUUID().slice(0, 8)}:`;
  let redis: Redis | undefined;
  beforeAll(() => {
    redis = connect(prefix);
    ready(redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    await flushPrefix(prefix);
  });
  return prefix;
}
