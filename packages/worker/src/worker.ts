import type { Job } from '@buildcluster/protocol';
import type { BackoffOptions } from './backoff.js';
import type { WorkerClient } from './client.js';
import { JobRunner } from './job-runner.js';
import { silentLog, type WorkerLog } from './log.js';
import { PollLoop } from './poll-loop.js';
import type { JobAbortReason, JobHandler, WorkerObserver } from './worker-types.js';

export type { JobAbortReason, JobContext, JobHandler, WorkerObserver } from './worker-types.js';

export interface WorkerOptions {
  client: WorkerClient;
  handler: JobHandler;
  /** Messages run at the same time (1–100, default 1). */
  concurrency?: number;
  /** How long each poll may wait on the broker (0–30000 ms, default 20000). */
  pollWaitMs?: number;
  log?: WorkerLog;
  /** Backoff after a failed poll (default 0.5 s doubling to 30 s, with jitter). */
  backoff?: BackoffOptions;
  /** How long to keep retrying an ack or nack the broker does not answer (default 120 s). */
  settleTimeoutMs?: number;
  /** Appended to the "build N start (attempt A)" log line, e.g. the command about to run. */
  startNote?: (job: Job) => string;
  /** Told of each poll's outcome and each settled message, e.g. for health checks and metrics. */
  observer?: WorkerObserver;
}

/**
 * The worker: polls while it has free slots (PollLoop), runs the handler per message with its
 * lease kept alive and acks or nacks the outcome (JobRunner), and stops gracefully: no new polls,
 * running messages finish and are acked, anything leased but not started is nacked.
 */
export class Worker {
  private readonly log: WorkerLog;
  private readonly runner: JobRunner;
  private readonly loop: PollLoop;
  private done: Promise<void> | null = null;

  constructor(options: WorkerOptions) {
    const concurrency = options.concurrency ?? 1;
    const pollWaitMs = options.pollWaitMs ?? 20_000;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) {
      throw new RangeError('concurrency must be a whole number from 1 to 100');
    }
    if (!Number.isInteger(pollWaitMs) || pollWaitMs < 0 || pollWaitMs > 30_000) {
      throw new RangeError('pollWaitMs must be a whole number from 0 to 30000');
    }
    this.log = options.log ?? silentLog;
    const observer = options.observer ?? {};
    this.runner = new JobRunner({
      client: options.client,
      handler: options.handler,
      log: this.log,
      settleTimeoutMs: options.settleTimeoutMs ?? 120_000,
      startNote: options.startNote ?? (() => ''),
      observer,
      onSlotFreed: () => this.loop.wake(),
    });
    this.loop = new PollLoop({
      client: options.client,
      runner: this.runner,
      concurrency,
      pollWaitMs,
      log: this.log,
      backoff: options.backoff,
      observer,
    });
  }

  /** Messages running now. */
  get running(): number {
    return this.runner.running;
  }

  get isStopping(): boolean {
    return this.loop.isStopping;
  }

  /** Starts polling; the promise resolves once the worker has stopped and settled every lease. */
  start(): Promise<void> {
    this.done ??= this.loop.run().then(() => this.runner.close());
    return this.done;
  }

  /**
   * Stops polling and waits for running messages to finish and be acked. With `force`, running
   * messages are aborted (reason `shutdown`) and nacked so another worker picks them up.
   */
  stop(options: { force?: boolean } = {}): Promise<void> {
    if (!this.loop.isStopping) {
      const running = this.runner.running;
      this.log.info(
        running > 0 ? `stopping: no new builds; waiting for ${running} running to finish` : 'stopping: no new builds',
      );
      this.loop.stop();
    }
    if (options.force) this.runner.abortAll('shutdown' satisfies JobAbortReason);
    return this.start();
  }
}
