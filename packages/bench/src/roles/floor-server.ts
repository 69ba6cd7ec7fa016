import Fastify from 'fastify';
import { fastifyOptions } from '@buildcluster/broker';
import { runRole } from '../lib/role.js';

export interface FloorConfig {
  port: number;
}

interface StartBody {
  buildId?: number;
  buildClusterName?: string | null;
}

// The floor under the broker's post rate: Fastify with the broker's own server options (its logger
// at warn, body limit, router and keep-alive settings) and one route that parses the start message
// and answers as the broker's post does, with no auth, rules, PostgreSQL or Redis behind it.
runRole<FloorConfig, unknown>(async (config, context) => {
  const app = Fastify(fastifyOptions({ logLevel: 'warn' }));
  app.post('/v1/queue/message', async (request, reply) => {
    const body = request.body as StartBody;
    const cluster = body.buildClusterName ?? null;
    return reply.code(201).send({ buildId: body.buildId, state: 'queued', cluster, queue: cluster });
  });
  await app.listen({ host: '127.0.0.1', port: config.port });
  void context.stopped.then(() => app.close().then(() => process.exit(0)));
  // Nothing is measured here: the producer is. The server runs until stopped.
  return async () => ({});
});
