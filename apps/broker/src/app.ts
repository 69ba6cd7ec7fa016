import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { BrokerConfig } from './config.js';
import { requestSerializer } from './security/log-redaction.js';
// External plugins: what talks to the world outside (Redis, PostgreSQL, Prometheus, OpenAPI).
import redis from './plugins/external/redis.js';
import subscriber from './plugins/external/subscriber.js';
import orm from './plugins/external/orm.js';
import metrics from './plugins/external/metrics.js';
import docs from './plugins/external/docs.js';
// App plugins: the broker's policies over them.
import config, { type ConfigOptions } from './plugins/app/config.js';
import errorHandler from './plugins/app/error-handler.js';
import inputGuard from './security/input-guard.js';
import jsonDepth from './security/json-depth.js';
import redisDurability from './plugins/app/redis-durability.js';
import bus from './plugins/app/bus.js';
import clusterHooks from './plugins/app/cluster-hooks.js';
// Domain modules.
import clusters from './clusters/plugin.js';
import auth from './auth/plugin.js';
import queue from './queue/plugin.js';
import screwdriver from './screwdriver/plugin.js';
import periodic from './periodic/plugin.js';
import consolePlugin from './console/plugin.js';
// Routes.
import statusRoutes from './routes/status.js';
import periodicRoutes from './routes/periodic/index.js';
import clusterRoutes from './routes/clusters/index.js';
import queueMessageRoutes from './routes/queue-message/index.js';
import queueRoutes from './routes/queues/index.js';
import buildRoutes from './routes/builds/index.js';
import eventRoutes from './routes/events.js';
import consoleRoutes from './console/routes.js';
import dashboard from './routes/dashboard.js';

export const BODY_LIMIT = 1024 * 1024;

/**
 * The broker in four layers, each registered in order after the one before: a plugin may depend
 * only on plugins of its own layer listed before it, or of a layer above (each declares them in
 * `fp(..., { dependencies })`, which Fastify checks at start).
 */
export const LAYERS: Record<'external' | 'app' | 'domain' | 'routes', FastifyPluginAsync[]> = {
  external: [redis, subscriber, orm, metrics, docs],
  app: [errorHandler, inputGuard, jsonDepth, redisDurability, bus, clusterHooks],
  // auth needs the cluster registry to tell a worker's cluster; the rest need auth on their routes.
  domain: [clusters, auth, queue, screwdriver, periodic, consolePlugin],
  routes: [
    statusRoutes,
    clusterRoutes,
    queueMessageRoutes,
    queueRoutes,
    buildRoutes,
    eventRoutes,
    consoleRoutes,
    periodicRoutes,
    dashboard,
  ],
};

export function fastifyOptions(config: Pick<BrokerConfig, 'logLevel'>): FastifyServerOptions {
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

/**
 * The broker as a Fastify plugin: everything but listen(). Register it on any Fastify instance,
 * with a configuration or without (then it reads the environment); tests use inject().
 */
export const brokerApp = fp<ConfigOptions>(
  async (app, opts) => {
    await app.register(config, opts);
    for (const layer of Object.values(LAYERS)) for (const plugin of layer) await app.register(plugin);
  },
  { name: 'broker' },
);

/** A Fastify instance with the broker's server options and the broker registered, not yet listening. */
export async function buildApp(config: BrokerConfig, overrides: Partial<FastifyServerOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify({ ...fastifyOptions(config), ...overrides }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(brokerApp, { config });
  return app;
}
