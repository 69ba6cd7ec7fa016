import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrokerHealth } from './health-state.js';
import type { WorkerMetrics } from './metrics.js';

/**
 * `/health` (200 while the broker answers polls, 503 with the reason otherwise) and `/metrics`
 * (Prometheus text), for Kubernetes probes and alerts. Nothing else is served.
 */
export async function startHealthServer(options: {
  port: number;
  host: string;
  health: BrokerHealth;
  metrics: WorkerMetrics;
  extra?: () => Record<string, unknown>;
}): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
      return;
    }
    if (path === '/health') {
      const state = options.health.snapshot();
      const body = JSON.stringify({ status: state.healthy ? 'ok' : 'unavailable', ...state, ...options.extra?.() });
      res.writeHead(state.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(`${body}\n`);
      return;
    }
    if (path === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this server has /health and /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
