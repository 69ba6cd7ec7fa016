import type { Job } from '@buildcluster/protocol';
import { Backoff, sleep } from './backoff.js';
import type { WorkerClient } from './client.js';
import { describeError } from './describe-error.js';
import { isRetryable } from './errors.js';
import { LeaseKeeper } from './lease-keeper.js';
import { seconds, type WorkerLog } from './log.js';
import type { JobAbortReason, JobHandler, WorkerObserver } from './worker-types.js';

export interface JobRunnerOptions {
  client: WorkerClient;
  handler: JobHandler;
  log: WorkerLog;
  /** How long to keep retrying an ack or nack the broker does not answer. */
  settleTimeoutMs: number;
  /** Appended to the "build N start (attempt A)" log line. */
  startNote: (job: Job) => string;
  observer: WorkerObserver;
  /** Called each time a running message is over and its slot is free again. */
  onSlotFreed: () => void;
}

interface ActiveJob {
  job: Job;
  controller: AbortController;
  lostReason?: string;
  done: Promise<void>;
}

/**
 * The run side of the worker: runs the handler per leased message with its lease kept alive,
 * then acks or nacks the outcome (retrying while the broker cannot be reached).
 */
export class JobRunner {
  private readonly keeper: LeaseKeeper;
  private readonly active = new Map<string, ActiveJob>();

  constructor(private readonly options: JobRunnerOptions) {
    this.keeper = new LeaseKeeper(
      options.client,
      {
        onLost: (leaseId, reason) => this.leaseLost(leaseId, reason),
        onStopRequested: (leaseId, buildId) => {
          options.log.info(`build ${buildId}: Screwdriver asked to stop it; signalling it`);
          this.active.get(leaseId)?.controller.abort('stop_requested' satisfies JobAbortReason);
        },
      },
      options.log,
    );
  }

  /** Messages running now. */
  get running(): number {
    return this.active.size;
  }

  /** Starts running a leased message; it is settled in the background. */
  begin(job: Job): void {
    const controller = new AbortController();
    const entry: ActiveJob = { job, controller, done: Promise.resolve() };
    this.active.set(job.leaseId, entry);
    this.keeper.track(job);
    entry.done = this.process(entry)
      // process() settles every outcome itself; this only keeps a bug from becoming an unhandled rejection.
      .catch((err: unknown) => this.options.log.error(`build ${job.buildId}: ${(err as Error)?.stack ?? String(err)}`))
      .finally(() => {
        this.keeper.untrack(job.leaseId);
        this.active.delete(job.leaseId);
        this.options.onSlotFreed();
      });
  }

  /** Aborts every running message with `reason`. */
  abortAll(reason: JobAbortReason): void {
    for (const { controller } of this.active.values()) controller.abort(reason);
  }

  /** Nacks builds this worker leased but will not run. */
  async giveBack(jobs: Job[], reason: string): Promise<void> {
    for (const job of jobs) {
      const outcome = await this.settle('nack', job, reason);
      this.options.log.info(`build ${job.buildId} ${job.type} not started, ${reason} → ${outcome}`);
    }
  }

  /** Waits until no message runs any more, then stops extending leases. */
  async close(): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active.values()].map((a) => a.done));
    await this.keeper.close();
  }

  private async process(entry: ActiveJob): Promise<void> {
    const { handler, log, startNote } = this.options;
    const { job, controller } = entry;
    const what = `build ${job.buildId} ${job.type}`;
    const note = startNote(job);
    log.info(`${what} (attempt ${job.attempt})${note ? ` ${note}` : ''}`);
    const startedAt = Date.now();
    let summary: string | void = undefined;
    let failure: Error | null = null;
    try {
      summary = await handler(job, { signal: controller.signal, log });
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    const took = `done in ${seconds(Date.now() - startedAt)}`;
    const abort = controller.signal.aborted ? (controller.signal.reason as JobAbortReason) : null;
    const detail = failure ? failure.message : summary || 'ok';
    if (abort === 'lease_lost') {
      log.warn(`${what} ${took}, ${detail}, but its lease was lost (${entry.lostReason}): result dropped, not acked`);
      return;
    }
    if (!failure || abort === 'stop_requested') {
      const outcome = await this.settle('ack', job);
      const why = abort === 'stop_requested' ? ' (stopped on request)' : '';
      log.info(`${what} ${took}, ${detail}${why} → ${outcome}`);
      return;
    }
    const reason = abort === 'shutdown' ? `worker shut down before it finished (${detail})` : detail;
    const outcome = await this.settle('nack', job, reason);
    log.info(`${what} ${took}, ${detail} → ${outcome}`);
  }

  private leaseLost(leaseId: string, reason: string): void {
    const entry = this.active.get(leaseId);
    if (!entry) return;
    entry.lostReason = reason;
    this.options.log.warn(`build ${entry.job.buildId}: the broker took its lease back (${reason}); stopping it here`);
    entry.controller.abort('lease_lost' satisfies JobAbortReason);
  }

  /** Acks or nacks one lease, retrying while the broker cannot be reached; answers what happened, for the log. */
  private async settle(kind: 'ack' | 'nack', job: Job, reason?: string): Promise<string> {
    const { client, log, settleTimeoutMs, observer } = this.options;
    const deadline = Date.now() + settleTimeoutMs;
    const backoff = new Backoff({ baseMs: 250, maxMs: 5000 });
    for (;;) {
      try {
        const answer = kind === 'ack' ? await client.ack([job.leaseId]) : await client.nack([job.leaseId], reason);
        const rejected = answer.rejected.find((r) => r.leaseId === job.leaseId);
        observer.settled?.(job, kind, !rejected);
        if (rejected) return `not ${kind}ed: ${rejected.reason}`;
        return kind === 'ack' ? 'acked' : 'nacked (it will be delivered again)';
      } catch (err) {
        const problem = describeError(err, client.brokerUrl);
        if (!isRetryable(err) || Date.now() >= deadline) {
          observer.settled?.(job, kind, false);
          return `${kind} failed (${problem}); the broker will deliver it again after its lease`;
        }
        const wait = backoff.next();
        log.warn(`${kind} of build ${job.buildId} failed (${problem}); retrying in ${seconds(wait)}`);
        await sleep(wait);
      }
    }
  }
}
