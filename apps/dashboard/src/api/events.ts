import type { QueryClient } from '@tanstack/react-query';
import type { BrokerEvent, BuildEvent } from '@buildcluster/protocol';
import { createStore, type Store } from '../lib/store';
import { SESSION_EXPIRED, apiUrl, request } from './client';
import { session } from './session';
import { clusterKeys, forgetCluster, storeCluster } from './clusters';
import { queueKeys, storeQueueStats } from './queues';
import { buildKeys } from './builds';
import { pendingCount, recordBuildEvent } from './build-events';
import { recordStats } from './stats-history';
import { CLOSE_TOKEN_EXPIRED } from '@buildcluster/protocol/constants';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** Close code the broker uses when the token behind a socket expires. */
export { CLOSE_TOKEN_EXPIRED };

/** The socket is considered dead when no message arrived for this long (stats come every second). */
const SILENCE_MS = 5_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;
/** Build events are coalesced into one refetch per queue per this interval, so a burst does not storm the API. */
const INVALIDATE_EVERY_MS = 400;

export interface LiveOptions {
  client: QueryClient;
  token: string;
  /** ws(s):// URL of /v4/events; defaults to the page's origin. */
  url?: string;
  WebSocketImpl?: typeof WebSocket;
  status?: Store<LiveStatus>;
}

export function eventsUrl(): string {
  const http = apiUrl('/v4/events');
  const absolute = http.startsWith('/') ? `${window.location.origin}${http}` : http;
  return absolute.replace(/^http/, 'ws');
}

/**
 * The /v4/events socket: feeds the query cache (queue figures, clusters, builds), keeps the
 * chart history, and reconnects with jittered exponential backoff. The token travels as the
 * `bearer, <jwt>` subprotocol: browsers cannot set headers, and a query string ends up in logs.
 */
export class LiveConnection {
  readonly status: Store<LiveStatus>;
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly staleQueues = new Set<string>();
  private readonly staleBuilds = new Set<number>();
  /** A build event since the last flush, or the pending count moved: the pending list may have changed. */
  private stalePending = false;
  private stopped = false;

  constructor(private readonly options: LiveOptions) {
    this.status = options.status ?? createStore<LiveStatus>('connecting');
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [this.retryTimer, this.silenceTimer, this.flushTimer]) if (timer) clearTimeout(timer);
    this.retryTimer = this.silenceTimer = this.flushTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'signed out');
    this.status.set('stopped');
  }

  private connect(): void {
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    this.status.set(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let opened = false;
    const socket = new Impl(this.options.url ?? eventsUrl(), ['bearer', this.options.token]);
    this.socket = socket;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.status.set('live');
      this.watchSilence();
    };
    socket.onmessage = (message: MessageEvent) => {
      this.watchSilence();
      if (typeof message.data !== 'string') return;
      try {
        this.apply(JSON.parse(message.data) as BrokerEvent);
      } catch {
        // A malformed frame is dropped; the next stats snapshot brings the figures anyway.
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.silenceTimer) clearTimeout(this.silenceTimer);
      if (this.stopped) return;
      if (event.code === CLOSE_TOKEN_EXPIRED) {
        session.signOut(SESSION_EXPIRED);
        this.stop();
        return;
      }
      // A refused handshake hides its HTTP status from scripts: ask the API whether the token
      // still holds (a 401 there signs out), then try again later.
      if (!opened) void request('GET', '/v4/queues').catch(() => undefined);
      this.scheduleRetry();
    };
    socket.onerror = () => {
      // onclose follows and schedules the retry.
    };
  }

  private scheduleRetry(): void {
    this.status.set('reconnecting');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private watchSilence(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      // No stats for a while: the connection is half-open. Drop it and reconnect.
      const socket = this.socket;
      this.socket = null;
      socket?.close(4000, 'silent');
      if (!this.stopped) this.scheduleRetry();
    }, SILENCE_MS);
  }

  /** Applies one broker event to the cache. Public for tests that feed events directly. */
  apply(event: BrokerEvent): void {
    const { client } = this.options;
    switch (event.type) {
      case 'stats':
        storeQueueStats(client, event.queues);
        // Also catches a change whose build event this socket missed (e.g. while reconnecting).
        if (pendingCount.get() !== null && pendingCount.get() !== event.pending) this.markPendingStale();
        pendingCount.set(event.pending);
        recordStats(event);
        break;
      case 'cluster':
        if (event.action === 'deleted') forgetCluster(client, event.name);
        else if (event.cluster) storeCluster(client, event.cluster);
        else void client.invalidateQueries({ queryKey: clusterKeys.all });
        break;
      case 'build':
        recordBuildEvent(event);
        this.markStale(event);
        break;
    }
  }

  private markStale(event: BuildEvent): void {
    if (event.cluster) this.staleQueues.add(event.cluster);
    this.staleBuilds.add(event.buildId);
    this.markPendingStale();
  }

  private markPendingStale(): void {
    this.stalePending = true;
    this.flushTimer ??= setTimeout(() => this.flush(), INVALIDATE_EVERY_MS);
  }

  private flush(): void {
    this.flushTimer = null;
    const { client } = this.options;
    for (const cluster of this.staleQueues) {
      void client.invalidateQueries({ queryKey: queueKeys.detail(cluster) });
      void client.invalidateQueries({ queryKey: queueKeys.dead(cluster) });
    }
    for (const buildId of this.staleBuilds) void client.invalidateQueries({ queryKey: buildKeys.detail(buildId) });
    if (this.stalePending) void client.invalidateQueries({ queryKey: buildKeys.pending() });
    this.stalePending = false;
    this.staleQueues.clear();
    this.staleBuilds.clear();
  }
}
