import { Counter, Gauge, Registry } from 'prom-client';

/** The worker's Prometheus figures, on its own registry (an SDK user's default registry is left alone). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly started = new Counter({
    name: 'buildcluster_worker_builds_started_total',
    help: 'Starts the executor accepted (or found already running)',
    registers: [this.registry],
  });
  readonly failed = new Counter({
    name: 'buildcluster_worker_builds_failed_total',
    help: 'Builds this worker reported to Screwdriver as FAILURE',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly acked = new Counter({
    name: 'buildcluster_worker_messages_acked_total',
    help: 'Messages acked',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly nacked = new Counter({
    name: 'buildcluster_worker_messages_nacked_total',
    help: 'Messages nacked (delivered again)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly pollErrors = new Counter({
    name: 'buildcluster_worker_poll_errors_total',
    help: 'Polls that failed (broker unreachable or refusing)',
    registers: [this.registry],
  });

  constructor(sources: { inProgress: () => number; tokenRenewals: () => number; watching?: () => number }) {
    new Gauge({
      name: 'buildcluster_worker_builds_in_progress',
      help: 'Messages being handled now',
      registers: [this.registry],
      collect() {
        this.set(sources.inProgress());
      },
    });
    new Gauge({
      name: 'buildcluster_worker_token_renewals',
      help: 'Cluster tokens signed since start, after the first',
      registers: [this.registry],
      collect() {
        this.set(sources.tokenRenewals());
      },
    });
    if (sources.watching) {
      const watching = sources.watching;
      new Gauge({
        name: 'buildcluster_worker_starts_watched',
        help: 'Started builds whose start watchdog has not yet seen them running',
        registers: [this.registry],
        collect() {
          this.set(watching());
        },
      });
    }
  }
}
