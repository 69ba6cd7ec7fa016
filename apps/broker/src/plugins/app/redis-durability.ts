import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from '../../redis/client.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What is wrong with Redis's persistence for a broker whose queues live only there (empty: nothing). */
    redisWarnings(): Promise<string[]>;
  }
}

const RECHECK_MS = 30_000;
const CHECK_TIMEOUT_MS = 1000;

/**
 * The broker's durability is Redis's: a build answered 201 is lost with Redis unless Redis keeps
 * an append-only file. Read from INFO (and CONFIG when allowed), once per RECHECK_MS at most; on a
 * Redis Cluster from every master, each warning naming its node.
 */
export async function persistenceWarnings(redis: RedisClient): Promise<string[]> {
  if (!isCluster(redis)) return serverWarnings(redis);
  const masters = redis.nodes('master');
  const each = await Promise.all(
    masters.map(async (node) => {
      const at = `${node.options.host}:${node.options.port}`;
      return (await serverWarnings(node)).map((warning) => `${at}: ${warning}`);
    }),
  );
  return each.flat();
}

async function serverWarnings(redis: Redis): Promise<string[]> {
  const info = await redis.info('persistence');
  const aof = /^aof_enabled:(\d)/m.exec(info)?.[1];
  if (aof !== '1') {
    return [
      'Redis runs without AOF (appendonly no): a Redis restart loses every build queued since the last snapshot; ' +
        'set appendonly yes and appendfsync always (see the README, Redis persistence)',
    ];
  }
  // Managed Redis services may refuse CONFIG; INFO is enough for the main check.
  const reply = (await redis.config('GET', 'appendfsync').catch(() => [])) as string[];
  if (reply[1] === 'no') {
    return [
      'Redis runs with appendfsync no: the OS decides when the AOF reaches the disk, so a machine crash can lose ' +
        'many seconds of queued builds; set appendfsync always (see the README, Redis persistence)',
    ];
  }
  return [];
}

export default fp(
  async (app) => {
    let cached: { at: number; warnings: string[] } | null = null;
    const check = async (): Promise<string[]> => {
      if (!app.config.redisAofCheck) return [];
      if (cached && Date.now() - cached.at < RECHECK_MS) return cached.warnings;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), CHECK_TIMEOUT_MS);
      });
      try {
        // Liveness must answer even with Redis away: then there is nothing to say about its persistence.
        const warnings = await Promise.race([persistenceWarnings(app.redis).catch(() => null), timeout]);
        if (warnings === null) return cached?.warnings ?? [];
        cached = { at: Date.now(), warnings };
        return warnings;
      } finally {
        clearTimeout(timer);
      }
    };
    app.decorate('redisWarnings', check);
    app.addHook('onReady', async () => {
      for (const warning of await check()) app.log.warn(warning);
    });
  },
  { name: 'redis-durability', dependencies: ['config', 'redis'] },
);
