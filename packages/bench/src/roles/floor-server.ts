import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { fastifyOptions } from '@buildcluster/broker';
import { runRole } from '../lib/role.js';
import { FLOOR_KEYS, type FloorConfig } from './floor-config.js';

// One round trip a post: append the message, note the build as queued.
const DURABLE_WRITE = `
local id = redis.call('XADD', KEYS[1], '*', 'b', ARGV[1], 'm', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], 'queued|' .. id)
return id`;

interface StartBody {
  buildId?: number;
  buildClusterName?: string | null;
}

// The floor under the broker's post rate: Fastify with the broker's own server options (its logger
// at warn, body limit, router and keep-alive settings) and one route that parses the start message
// and answers as the broker's post does, with no auth, rules or PostgreSQL behind it, and Redis
// only in the durable variant (one script a post, through ioredis with auto-pipelining, as the
// broker talks to Redis).
runRole<FloorConfig, unknown>(async (config, context) => {
  const app = Fastify(fastifyOptions({ logLevel: 'warn' }));
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableAutoPipelining: true }) : null;
  const sha = redis ? ((await redis.script('LOAD', DURABLE_WRITE)) as string) : '';
  app.post('/v1/queue/message', async (request, reply) => {
    const body = request.body as StartBody;
    const cluster = body.buildClusterName ?? null;
    if (redis) await redis.evalsha(sha, 2, FLOOR_KEYS.stream, FLOOR_KEYS.states, String(body.buildId), JSON.stringify(body));
    return reply.code(201).send({ buildId: body.buildId, state: 'queued', cluster, queue: cluster });
  });
  await app.listen({ host: '127.0.0.1', port: config.port });
  void context.stopped.then(async () => {
    await app.close();
    await redis?.quit();
    process.exit(0);
  });
  // Nothing is measured here: the producer is. The server runs until stopped.
  return async () => ({});
});
