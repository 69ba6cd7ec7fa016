import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { BrokerConfig } from './config.js';
import { BrokerError } from './errors.js';
import { requestSerializer } from './security/log-redaction.js';
import inputGuard from './security/input-guard.js';
import screwdriver from './screwdriver/plugin.js';
import redisDurability from './plugins/redis-durability.js';
import jsonDepth from './security/json-depth.js';
import redis from './plugins/redis.js';
import subscriber from './plugins/subscriber.js';
import bus from './plugins/bus.js';
import metrics from './plugins/metrics.js';
import clusterHooks from './plugins/cluster-hooks.js';
import docs from './plugins/docs.js';
import orm from './plugins/orm.js';
import auth from './plugins/auth.js';
import clusters from './clusters/plugin.js';
import queue from './queue/plugin.js';
import statusRoutes from './routes/status.js';
import clusterRoutes from './routes/clusters/index.js';
import queueMessageRoutes from './routes/queue-message/index.js';
import queueRoutes from './routes/queues/index.js';
import buildRoutes from './routes/builds/index.js';
import eventRoutes from './routes/events.js';
import consolePlugin from './console/plugin.js';
import consoleRoutes from './console/routes.js';
import dashboard from './plugins/dashboard.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: BrokerConfig;
  }
}

export const BODY_LIMIT = 1024 * 1024;

/** Errors from a lost Redis or PostgreSQL connection: the request answers 503, the broker keeps going. */
function isUnavailable(err: Error): boolean {
  const text = `${err.name} ${err.message} ${(err as { code?: string }).code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|connection to Redis lost|MaxRetriesPerRequest|Stream isn't writeable|ConnectionException|Connection terminated|connect ECONN|the database system is|too many clients|Timeout acquiring a connection|terminating connection|timeout expired/i.test(
    text,
  );
}

export function fastifyOptions(config: BrokerConfig): FastifyServerOptions {
  return {
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
      // Tokens in a URL (?token=, or pasted into a path) stay out of the request log too.
      serializers: { req: requestSerializer },
    },
    bodyLimit: BODY_LIMIT,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 200 },
    // Screwdriver and workers keep connections alive; long polls last up to 30 s.
    keepAliveTimeout: 65_000,
    requestTimeout: 60_000,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  };
}

/** The broker as a Fastify plugin: everything but listen(). Tests register it and use inject(). */
export const brokerApp = fp(
  async (app, opts: { config: BrokerConfig }) => {
    app.decorate('config', opts.config);
    app.setErrorHandler((err: FastifyError | BrokerError | Error, request, reply) => {
      if (err instanceof BrokerError) {
        if (err.statusCode >= 500) request.log.error({ err }, err.message);
        return reply
          .code(err.statusCode)
          .send({ statusCode: err.statusCode, code: err.code, error: httpError(err.statusCode), message: err.message });
      }
      const fe = err as FastifyError;
      if (fe.validation) {
        // Fastify's message names the part and field, e.g. "body/signOption/algorithm must be ...";
        // an enum error also names the values allowed.
        const allowed = (fe.validation[0]?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
        const message = Array.isArray(allowed) ? `${fe.message}: ${allowed.map((v) => JSON.stringify(v)).join(', ')}` : fe.message;
        return reply.code(400).send({ statusCode: 400, code: 'VALIDATION_FAILED', error: 'Bad Request', message });
      }
      if (fe.statusCode === 413 || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply
          .code(413)
          .send({
            statusCode: 413,
            code: 'PAYLOAD_TOO_LARGE',
            error: 'Payload Too Large',
            message: `request body is larger than ${request.routeOptions.bodyLimit ?? BODY_LIMIT} bytes`,
          });
      }
      if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
        return reply
          .code(fe.statusCode)
          .send({
            statusCode: fe.statusCode,
            code: fe.code ?? 'BAD_REQUEST',
            error: httpError(fe.statusCode),
            message: fe.message,
          });
      }
      if (isUnavailable(err)) {
        request.log.warn({ err: err.message }, 'a backing service is unavailable');
        return reply
          .code(503)
          .send({
            statusCode: 503,
            code: 'UNAVAILABLE',
            error: 'Service Unavailable',
            message: 'a backing service (Redis or PostgreSQL) is unavailable; retry shortly',
          });
      }
      request.log.error({ err }, 'unhandled error');
      return reply
        .code(500)
        .send({
          statusCode: 500,
          code: 'INTERNAL',
          error: 'Internal Server Error',
          message: 'internal error; see the broker log',
        });
    });
    app.setNotFoundHandler((request, reply) => {
      reply
        .code(404)
        .send({
          statusCode: 404,
          code: 'NOT_FOUND',
          error: 'Not Found',
          message: `no route ${request.method} ${request.url.split('?')[0]}`,
        });
    });

    await app.register(redis);
    await app.register(redisDurability);
    await app.register(subscriber);
    await app.register(bus);
    await app.register(metrics);
    await app.register(inputGuard);
    await app.register(jsonDepth);
    await app.register(clusterHooks);
    await app.register(docs);
    await app.register(orm);
    await app.register(auth);
    await app.register(clusters);
    await app.register(queue);
    await app.register(screwdriver);
    await app.register(statusRoutes);
    await app.register(clusterRoutes);
    await app.register(queueMessageRoutes);
    await app.register(queueRoutes);
    await app.register(buildRoutes);
    await app.register(eventRoutes);
    await app.register(consolePlugin);
    await app.register(consoleRoutes);
    await app.register(dashboard);
  },
  { name: 'broker' },
);

function httpError(status: number): string {
  const names: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    501: 'Not Implemented',
    503: 'Service Unavailable',
  };
  return names[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/** A configured Fastify instance with the broker registered, not yet listening. */
export async function buildApp(config: BrokerConfig, overrides: Partial<FastifyServerOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify({ ...fastifyOptions(config), ...overrides }).withTypeProvider<TypeBoxTypeProvider>();
  // The "config" plugin name lets other plugins declare it as a dependency.
  await app.register(fp(async () => {}, { name: 'config' }));
  await app.register(brokerApp, { config });
  return app as unknown as FastifyInstance;
}
