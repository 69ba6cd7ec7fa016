import { Type } from 'typebox';
import { routePlugin } from './route-kit.js';

const Health = Type.Union([Type.Literal('ok'), Type.Literal('down')]);
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  postgres: Health,
  redis: Health,
  message: Type.Optional(Type.String()),
});

const CHECK_TIMEOUT_MS = 2000;

/** Resolves 'ok' when `probe` answers within the timeout, else 'down'. */
async function probe(check: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => resolve('down'), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => 'ok' as const), timeout]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness and readiness (README "API", the status and events routes), unauthenticated so that load balancers and orchestrators can use them. */
export default routePlugin(
  async (app) => {
    app.get(
      '/v4/status',
      {
        schema: {
          tags: ['status'],
          summary: 'Liveness: the process answers (with what an operator should know about its setup)',
          description:
            '`warnings` lists what is wrong with the setup without stopping the broker: Redis running without AOF, ' +
            'no QUEUE_JWT_PRIVATE_KEY.',
          response: {
            200: Type.Object({
              status: Type.Literal('ok'),
              warnings: Type.Optional(
                Type.Array(Type.String(), { description: 'setup problems that limit what the broker does' }),
              ),
            }),
          },
        },
      },
      async () => {
        const warnings = [...(await app.redisWarnings()), ...app.screwdriver.warnings];
        return warnings.length > 0 ? { status: 'ok' as const, warnings } : { status: 'ok' as const };
      },
    );
    // What Screwdriver's API calls for `GET /v4/status?exhaustive=true`: the queue-service's answer.
    app.get(
      '/v1/status',
      {
        schema: {
          tags: ['status'],
          summary: "Liveness as Screwdriver's API asks for it: `OK`",
          response: { 200: Type.String() },
        },
      },
      async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'),
    );
    app.get(
      '/v4/status/ready',
      {
        schema: {
          tags: ['status'],
          summary: 'Readiness: PostgreSQL and Redis answer (503 naming the one that does not)',
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) => {
        const [postgres, redis] = await Promise.all([
          probe(() => app.orm.em.getConnection().execute('select 1')),
          probe(() => app.redis.ping()),
        ]);
        if (postgres === 'ok' && redis === 'ok') return reply.code(200).send({ status: 'ready', postgres, redis });
        const down = [postgres === 'down' ? 'PostgreSQL' : null, redis === 'down' ? 'Redis' : null].filter(Boolean);
        return reply.code(503).send({ status: 'unavailable', postgres, redis, message: `${down.join(' and ')} not reachable` });
      },
    );
  },
  { name: 'routes-status', dependencies: ['orm', 'redis', 'redis-durability', 'screwdriver'] },
);
