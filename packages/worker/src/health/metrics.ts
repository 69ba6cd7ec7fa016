import { Counter, Gauge, Registry } from 'prom-client';

/** The worker's Prometheus figures, on its own registry (an SDK user's default registry is left alone). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly started = this.counter(
    'buildcluster_worker_builds_started_total',
    'Starts the executor accepted (or found already running)',
  );
  readonly failed = this.counter(
    'buildcluster_worker_builds_failed_total',
    'Builds this worker reported to Screwdriver as FAILURE',
    ['reason'],
  );
  readonly acked = this.counter('buildcluster_worker_messages_acked_total', 'Messages acked', ['type']);
  readonly nacked = this.counter('buildcluster_worker_messages_nacked_total', 'Messages nacked (delivered again)', ['type']);
  readonly pollErrors = this.counter(
    'buildcluster_worker_poll_errors_total',
    'Polls that failed (broker unreachable or refusing)',
  );

  constructor(sources: { inProgress: () => number; tokenRenewals: () => number; watching?: () => number }) {
    this.gauge('buildcluster_worker_builds_in_progress', 'Messages being handled now', sources.inProgress);
    this.gauge('buildcluster_worker_token_renewals', 'Cluster tokens signed since start, after the first', sources.tokenRenewals);
    if (sources.watching) {
      this.gauge(
        'buildcluster_worker_starts_watched',
        'Started builds whose start watchdog has not yet seen them running',
        sources.watching,
      );
    }
  }

  private counter<L extends string = string>(name: string, help: string, labelNames?: readonly L[]): Counter<L> {
    return new Counter<L>({ name, help, ...(labelNames ? { labelNames } : {}), registers: [this.registry] });
  }

  /** A gauge read from `value` at each scrape. */
  private gauge(name: string, help: string, value: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(value());
      },
    });
  }
}
