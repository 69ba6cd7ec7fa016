import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { Redis, ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildClusterSchema } from '../../db/entities.js';
import { ormOptions } from '../../db/orm-options.js';
import { Errors } from '../../errors.js';
import { TEST_DATABASE_ADMIN_URL, TEST_REDIS_URL } from '../../../test/support/broker.js';
import { startSilentServer, type SilentServer } from '../../../test/support/silent-server.js';
import { databaseUnavailable } from './orm.js';
import { redisOptions, redisUnavailable } from './redis.js';

/** Real clients against real servers, and against ports where nothing answers. */
async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded');
}

describe('Redis errors', () => {
  it('are Unavailable when Redis cannot be reached', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { ...redisOptions('x:'), maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => {});
    try {
      const err = await rejection(() => redis.get('k'));
      expect(redisUnavailable(err, redis)).toBeInstanceOf(Errors.Unavailable);
    } finally {
      redis.disconnect();
    }
  });

  it('are not when Redis answers with an error', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}:`;
    const redis = new Redis(TEST_REDIS_URL, redisOptions(prefix));
    try {
      await redis.set('text', 'a');
      const err = await rejection(() => redis.lpush('text', 'b'));
      expect(redisUnavailable(err, redis)).toBeNull();
      await redis.del('text');
    } finally {
      redis.disconnect();
    }
  });
});

describe('Redis error kinds', () => {
  const ready = { status: 'ready' as const };
  const reply = (text: string): Error => new (ReplyError as ErrorConstructor)(text);

  it('tells refusals of a reply by their code, the first word', () => {
    for (const text of [
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'NOREPLICAS Not enough good replicas to write.',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
      'LOADING Redis is loading the dataset in memory',
      'MOVED 3999 127.0.0.1:6381',
      'ASK 3999 127.0.0.1:6381',
    ]) {
      expect(redisUnavailable(reply(text), ready), text).toBeInstanceOf(Errors.Unavailable);
    }
    expect(redisUnavailable(reply('WRONGTYPE Operation against a key holding the wrong kind of value'), ready)).toBeNull();
    expect(redisUnavailable(reply('ASKING is not a refusal'), ready)).toBeNull();
  });

  it('tells the driver failures by their class, socket code, or the untyped ones ioredis raises', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const timedOut = Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
    expect(redisUnavailable(new MaxRetriesPerRequestError(2), ready)).toBeInstanceOf(Errors.Unavailable);
    for (const err of [
      refused,
      timedOut,
      new Error('Connection is closed.'),
      new Error('Too many Cluster redirections. Last error: ReplyError: MOVED 3999 127.0.0.1:6381'),
      new Error('None of startup nodes is available'),
    ]) {
      expect(redisUnavailable(err, ready), err.message).toBeInstanceOf(Errors.Unavailable);
    }
  });

  it('leaves other errors alone while Redis is connected, and calls any error unavailable while it is not', () => {
    // Only a reply from Redis has a code: the same words in another error mean nothing.
    expect(redisUnavailable(new Error('LOADING the page'), ready)).toBeNull();
    expect(redisUnavailable(new TypeError('x is undefined'), ready)).toBeNull();
    expect(redisUnavailable(new TypeError('x is undefined'), { status: 'reconnecting' })).toBeInstanceOf(Errors.Unavailable);
  });
});

describe('PostgreSQL errors', () => {
  let silent: SilentServer;
  beforeAll(async () => {
    // Accepts connections and never answers: a PostgreSQL that hangs.
    silent = await startSilentServer();
  });
  afterAll(async () => silent.close());

  async function queryError(url: string): Promise<unknown> {
    const orm = await MikroORM.init({ ...ormOptions(url, 1), connect: false });
    try {
      return await rejection(() => orm.em.fork().find(BuildClusterSchema, {}));
    } finally {
      await orm.close(true);
    }
  }

  it('are Unavailable when PostgreSQL refuses the connection or never answers', async () => {
    expect(databaseUnavailable(await queryError('postgres://postgres@127.0.0.1:1/none'))).toBeInstanceOf(Errors.Unavailable);
    const { port } = silent;
    expect(databaseUnavailable(await queryError(`postgres://postgres@127.0.0.1:${port}/none`))).toBeInstanceOf(
      Errors.Unavailable,
    );
  }, 30_000);

  it('are not when PostgreSQL answers with an error', async () => {
    const missing = new URL(TEST_DATABASE_ADMIN_URL);
    missing.pathname = `/no_such_database_${randomUUID().slice(0, 8)}`;
    expect(databaseUnavailable(await queryError(missing.toString()))).toBeNull();
  });
});
