import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueStats } from '@buildcluster/protocol';

/**
 * The queue figures in Prometheus. Depth, in-flight and dead are read from Redis when scraped
 * (one read serves the three gauges); the rest is counted as it happens on this replica.
 */
export class QueueMetrics {
  readonly leasesExpired: Counter<'queue'>;
  readonly pollWaits: Counter<'queue'>;
  readonly topUps: Counter<'queue'>;
  readonly topUpBuilds: Counter<'queue'>;
  readonly dispatchLatency: Histogram<'queue'>;
  private snapshot: Promise<{ queues: QueueStats[]; pending: number }> | null = null;

  constructor(
    registry: Registry,
    read: () => Promise<{ queues: QueueStats[]; pending: number }>,
    waiting: () => number,
    /** How long a poll short of its batch now lingers (PollLinger), ms. */
    lingerMs: () => number,
  ) {
    // One Redis read per scrape, shared by the gauges below.
    const stats = () => {
      this.snapshot ??= read().finally(() => {
        setTimeout(() => {
          this.snapshot = null;
        }, 100).unref();
      });
      return this.snapshot;
    };
    const labels = ['cluster', 'queue'] as const;
    const perQueue = (name: string, help: string, pick: (s: QueueStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: labels,
        registers: [registry],
        async collect() {
          const { queues } = await stats();
          this.reset();
          for (const q of queues) this.set({ cluster: q.cluster, queue: q.queue }, pick(q));
        },
      });
    perQueue('broker_queue_depth', 'Builds queued and not yet leased, per queue', (q) => q.depth);
    perQueue('broker_queue_in_flight', 'Builds leased to a worker and not yet acked, per queue', (q) => q.inFlight);
    perQueue('broker_queue_dead', 'Builds in the dead letters, per queue', (q) => q.dead);
    perQueue('broker_queue_oldest_age_seconds', 'Age of the oldest queued build, per queue', (q) =>
      q.oldestQueuedAgeMs === null ? 0 : q.oldestQueuedAgeMs / 1000,
    );
    new Gauge({
      name: 'broker_builds_pending',
      help: 'Builds with no eligible cluster yet',
      registers: [registry],
      async collect() {
        this.set((await stats()).pending);
      },
    });
    new Gauge({
      name: 'broker_polls_waiting',
      help: 'Worker polls waiting for a build on this replica',
      registers: [registry],
      collect() {
        this.set(waiting());
      },
    });
    new Gauge({
      name: 'broker_poll_linger_ms',
      help: 'How long a poll short of its batch now waits for more builds: POLL_LINGER_MS scaled by event-loop use (0 while not busy)',
      registers: [registry],
      collect() {
        this.set(lingerMs());
      },
    });
    const perQueueCount = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['queue'], registers: [registry] });
    this.leasesExpired = perQueueCount(
      'broker_leases_expired_total',
      'Leases that ran out before the worker acked or extended them',
    );
    this.pollWaits = perQueueCount('broker_poll_waits_total', 'Polls that found nothing at once and waited (long poll)');
    this.topUps = perQueueCount(
      'broker_poll_top_ups_total',
      'Polls that emptied their queue short of their max on a busy replica and waited for more builds',
    );
    this.topUpBuilds = perQueueCount(
      'broker_poll_top_up_builds_total',
      'Builds those polls leased while they waited, in the same answer',
    );
    this.dispatchLatency = new Histogram({
      name: 'broker_dispatch_latency_seconds',
      help: 'Time from a build being queued to its first delivery to a worker',
      labelNames: ['queue'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    });
  }
}
