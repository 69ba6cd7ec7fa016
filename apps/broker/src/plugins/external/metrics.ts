import fp from 'fastify-plugin';
import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus registry of this app; every module adds its metrics here. */
    metrics: Registry;
  }
}

/** A gauge that each scrape sets to what `count` answers (a figure kept in Redis, read when asked). */
export function countGauge(registry: Registry, name: string, help: string, count: () => Promise<number>): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await count());
    },
  });
}

export default fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'broker_' });
    const requests = new Counter({
      name: 'broker_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'broker_http_request_duration_seconds',
      help: 'HTTP request duration (long polls included), by method and route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    app.decorate('metrics', registry);
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics' },
);
