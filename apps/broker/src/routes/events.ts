import fp from 'fastify-plugin';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Type } from 'typebox';
import { CLOSE_TOKEN_EXPIRED, type BuildEvent, type ClusterEvent, type StatsEvent } from '@buildcluster/protocol';
import { bearerToken } from '../auth/bearer.js';

/** Close codes the dashboard acts on (4000–4999 are free for applications). */
export { CLOSE_TOKEN_EXPIRED };
const CLOSE_GOING_AWAY = 1001;

export const STATS_INTERVAL_MS = 1000;
/** A client this far behind gets no stats until it catches up; this much further, it is dropped. */
const SLOW_CLIENT_BYTES = 1 << 20;
const DEAD_CLIENT_BYTES = 8 << 20;

/** Browsers cannot set headers on a WebSocket: take the token from `bearer, <jwt>` or `?token=`. */
function tokenFromUpgrade(request: FastifyRequest): string | null {
  const offered = request.headers['sec-websocket-protocol'];
  if (typeof offered === 'string') {
    const [kind, token] = offered.split(',').map((p) => p.trim());
    if (kind?.toLowerCase() === 'bearer' && token) return token;
  }
  const query = (request.query as { token?: unknown } | undefined)?.token;
  return typeof query === 'string' && query !== '' ? query : null;
}

/**
 * One timer per replica, however many dashboards are open: read the figures once (the queue
 * module's `app.queue.snapshot()`: every queue's stats and the pending count), send to all.
 */
class StatsFeed {
  private readonly clients = new Set<WebSocket>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private lastFailure = 0;

  constructor(private readonly app: FastifyInstance) {}

  add(socket: WebSocket): void {
    this.clients.add(socket);
    this.timer ??= setInterval(() => void this.tick(), STATS_INTERVAL_MS);
    void this.tick(socket);
  }

  remove(socket: WebSocket): void {
    this.clients.delete(socket);
    if (this.clients.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clients.clear();
  }

  /** Sends a snapshot to every client, or only to `only` (a new client gets one at once). */
  private async tick(only?: WebSocket): Promise<void> {
    if (this.ticking && !only) return; // a slow read: skip a beat rather than pile up
    if (this.clients.size === 0) return;
    if (!only) this.ticking = true;
    try {
      const snapshot = await this.app.queue.snapshot();
      const event: StatsEvent = {
        type: 'stats',
        queues: snapshot.queues,
        pending: snapshot.pending,
        at: new Date().toISOString(),
      };
      const frame = JSON.stringify(event);
      for (const socket of only ? [only] : this.clients) send(socket, frame, true);
    } catch (err) {
      // Redis away: say so once in a while, keep ticking; the dashboard shows the figures going stale.
      if (Date.now() - this.lastFailure > 30_000)
        this.app.log.warn({ err: (err as Error).message }, 'could not read queue stats for /v4/events');
      this.lastFailure = Date.now();
    } finally {
      if (!only) this.ticking = false;
    }
  }
}

function send(socket: WebSocket, frame: string, droppable: boolean): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > DEAD_CLIENT_BYTES) {
    socket.terminate();
    return;
  }
  if (droppable && socket.bufferedAmount > SLOW_CLIENT_BYTES) return;
  socket.send(frame);
}

/**
 * GET /v4/events (README "API", the status and events routes): a WebSocket for the dashboard. Admin API token required; forwards
 * the bus's cluster and build events and a stats snapshot every second.
 */
export default fp(
  async (app) => {
    // Cluster maintainers (viewer) watch the same live view.
    const requireAdmin = app.requireApiScope('admin', 'viewer');
    const feed = new StatsFeed(app);

    // Encapsulated: @fastify/websocket wraps the handlers of every route registered beside it.
    await app.register(async (scope) => {
      scope.addHook('preClose', async () => {
        feed.stop();
        for (const client of scope.websocketServer?.clients ?? []) client.close(CLOSE_GOING_AWAY, 'broker shutting down');
      });
      await scope.register(websocket, {
        options: {
          maxPayload: 4096,
          // The browser offers ["bearer", "<jwt>"]; answering "bearer" completes the handshake.
          handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
        },
      });

      scope.get(
        '/v4/events',
        {
          websocket: true,
          // Fastify's request log line carries the URL, and the URL may carry ?token=: keep it out of
          // the log below warn level. Connections are logged by hand, without the token.
          logLevel: 'warn',
          schema: {
            summary: 'Live events for the dashboard (WebSocket)',
            querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 8192 })) }),
          },
          preValidation: async (request: FastifyRequest, reply: FastifyReply) => {
            if (!request.headers.authorization) {
              const token = tokenFromUpgrade(request);
              if (token) request.headers.authorization = `Bearer ${token}`;
            }
            await requireAdmin.call(scope, request, reply);
          },
        },
        (socket, request) => {
          // Listeners first: nothing is awaited before they are attached.
          socket.on('message', () => {
            // The channel is one-way; client frames are ignored.
          });
          const token = bearerToken(request);
          const onCluster = (event: ClusterEvent) => send(socket, JSON.stringify(event), false);
          const onBuild = (event: BuildEvent) => send(socket, JSON.stringify(event), false);
          app.bus.on('cluster', onCluster);
          app.bus.on('build', onBuild);
          // The token was valid at the handshake; the socket lives no longer than the token.
          const expMs = typeof token.payload.exp === 'number' ? token.payload.exp * 1000 : Date.now();
          const expiry = setTimeout(
            () => socket.close(CLOSE_TOKEN_EXPIRED, 'token expired'),
            Math.max(0, Math.min(expMs - Date.now(), 2 ** 31 - 1)),
          );
          socket.on('close', () => {
            clearTimeout(expiry);
            app.bus.off('cluster', onCluster);
            app.bus.off('build', onBuild);
            feed.remove(socket);
          });
          feed.add(socket);
          app.log.info({ reqId: request.id, user: request.apiUser?.username }, 'dashboard connected to /v4/events');
          socket.once('close', (code: number) => app.log.info({ reqId: request.id, code }, 'dashboard left /v4/events'));
        },
      );
    });
  },
  { name: 'routes-events', dependencies: ['bus', 'auth', 'queue'] },
);
