import type { Job } from '@buildcluster/protocol';
import { Backoff, sleep, type BackoffOptions } from './backoff.js';
import type { WorkerClient } from './client.js';
import { describeError } from './describe-error.js';
import { AbortedError, isRetryable } from './errors.js';
import { LeaseKeeper } from './lease-keeper.js';
import { seconds, silentLog, type WorkerLog } from './log.js';

/** Why a running build's signal was aborted. */
export type JobAbortReason =
  /** Screwdriver asked to stop this build: finish quickly; the build is acked whatever the outcome. */
  | 'stop_requested'
  /** The lease is gone (expired and delivered again, or cancelled): stop; the result is dropped. */
  | 'lease_lost'
  /** The worker is forced to stop (a second SIGTERM): stop; the build is nacked and delivered again. */
  | 'shutdown';

export interface JobContext {
  /** Aborted (with a JobAbortReason as `signal.reason`) when the build should stop early. */
  signal: AbortSignal;
  log: WorkerLog;
}

/**
 * Runs one delivered message. Resolve to ack it (optionally with a short summary for the log,
 * e.g. "exit 0"); throw to nack it (the error message is the reason given to the broker).
 */
export type JobHandler = (job: Job, context: JobContext) => Promise<string | void>;

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

export interface WorkerObserver {
  pollAnswered?(): void;
  pollFailed?(err: unknown): void;
  /** A message was acked or nacked (`ok` false: the broker refused it or could not be told). */
  settled?(job: Job, kind: 'ack' | 'nack', ok: boolean): void;
}

interface ActiveJob {
  job: Job;
  controller: AbortController;
  lostReason?: string;
  done: Promise<void>;
}

/**
 * The worker loop: polls while it has free slots, runs the handler per message with its lease
 * kept alive, acks or nacks the outcome, and stops gracefully: no new polls, running messages
 * finish and are acked, anything leased but not started is nacked.
 */
export class Worker {
  private readonly client: WorkerClient;
  private readonly handler: JobHandler;
  private readonly concurrency: number;
  private readonly pollWaitMs: number;
  private readonly log: WorkerLog;
  private readonly pollBackoff: Backoff;
  private readonly settleTimeoutMs: number;
  private readonly startNote: (job: Job) => string;
  private readonly observer: WorkerObserver;
  private readonly keeper: LeaseKeeper;
  private readonly active = new Map<string, ActiveJob>();
  private readonly pollAbort = new AbortController();
  private wakeLoop: (() => void) | null = null;
  private stopping = false;
  private done: Promise<void> | null = null;
  private failingSince: number | null = null;
  /** The stop cut a poll short: its answer, with any leases it made, was never read. */
  private cutPollShort = false;

  constructor(options: WorkerOptions) {
    this.client = options.client;
    this.handler = options.handler;
    this.concurrency = options.concurrency ?? 1;
    this.pollWaitMs = options.pollWaitMs ?? 20_000;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1 || this.concurrency > 100) {
      throw new RangeError('concurrency must be a whole number from 1 to 100');
    }
    if (!Number.isInteger(this.pollWaitMs) || this.pollWaitMs < 0 || this.pollWaitMs > 30_000) {
      throw new RangeError('pollWaitMs must be a whole number from 0 to 30000');
    }
    this.log = options.log ?? silentLog;
    this.pollBackoff = new Backoff(options.backoff);
    this.settleTimeoutMs = options.settleTimeoutMs ?? 120_000;
    this.startNote = options.startNote ?? (() => '');
    this.observer = options.observer ?? {};
    this.keeper = new LeaseKeeper(
      this.client,
      {
        onLost: (leaseId, reason) => this.leaseLost(leaseId, reason),
        onStopRequested: (leaseId, buildId) => {
          this.log.info(`build ${buildId}: Screwdriver asked to stop it; signalling it`);
          this.active.get(leaseId)?.controller.abort('stop_requested' satisfies JobAbortReason);
        },
      },
      this.log,
    );
  }

  /** Messages running now. */
  get running(): number {
    return this.active.size;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Starts polling; the promise resolves once the worker has stopped and settled every lease. */
  start(): Promise<void> {
    this.done ??= this.loop().then(() => this.drain());
    return this.done;
  }

  /**
   * Stops polling and waits for running messages to finish and be acked. With `force`, running
   * messages are aborted (reason `shutdown`) and nacked so another worker picks them up.
   */
  stop(options: { force?: boolean } = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.log.info(
        this.active.size > 0
          ? `stopping: no new builds; waiting for ${this.active.size} running to finish`
          : 'stopping: no new builds',
      );
      this.pollAbort.abort();
      this.wakeLoop?.();
    }
    if (options.force) {
      for (const { controller } of this.active.values()) controller.abort('shutdown' satisfies JobAbortReason);
    }
    return this.start();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.active.size >= this.concurrency) {
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        this.wakeLoop = null;
        continue;
      }
      const startedAt = Date.now();
      let jobs: Job[];
      try {
        jobs = await this.client.poll({
          max: this.concurrency - this.active.size,
          waitMs: this.pollWaitMs,
          signal: this.pollAbort.signal,
        });
      } catch (err) {
        if (err instanceof AbortedError && this.stopping) {
          this.cutPollShort = this.client.hasUnansweredPoll;
          break;
        }
        this.observer.pollFailed?.(err);
        await this.pollFailed(err);
        continue;
      }
      this.observer.pollAnswered?.();
      if (this.failingSince !== null) {
        this.log.info(`connected to the broker again after ${seconds(Date.now() - this.failingSince)}`);
        this.failingSince = null;
      }
      this.pollBackoff.reset();
      if (this.stopping) {
        await this.giveBack(jobs, 'the worker is shutting down');
        break;
      }
      for (const job of jobs) this.begin(job);
      // An empty answer long before waitMs is not what a broker does; never spin on it.
      if (jobs.length === 0 && Date.now() - startedAt < 100) await sleep(100 + Math.random() * 200, this.pollAbort.signal);
    }
  }

  private async pollFailed(err: unknown): Promise<void> {
    this.failingSince ??= Date.now();
    const wait = this.pollBackoff.next();
    const tries = this.pollBackoff.attempts;
    const again = tries > 1 ? ` (${tries} failed polls in a row)` : '';
    this.log.warn(`poll failed: ${describeError(err, this.client.brokerUrl)}${again}; retrying in ${seconds(wait)}`);
    await sleep(wait, this.pollAbort.signal);
  }

  private begin(job: Job): void {
    const controller = new AbortController();
    const entry: ActiveJob = { job, controller, done: Promise.resolve() };
    this.active.set(job.leaseId, entry);
    this.keeper.track(job);
    entry.done = this.process(entry)
      // process() settles every outcome itself; this only keeps a bug from becoming an unhandled rejection.
      .catch((err: unknown) => this.log.error(`build ${job.buildId}: ${(err as Error)?.stack ?? String(err)}`))
      .finally(() => {
        this.keeper.untrack(job.leaseId);
        this.active.delete(job.leaseId);
        this.wakeLoop?.();
      });
  }

  private async process(entry: ActiveJob): Promise<void> {
    const { job, controller } = entry;
    const what = `build ${job.buildId} ${job.type}`;
    const note = this.startNote(job);
    this.log.info(`${what} (attempt ${job.attempt})${note ? ` ${note}` : ''}`);
    const startedAt = Date.now();
    let summary: string | void = undefined;
    let failure: Error | null = null;
    try {
      summary = await this.handler(job, { signal: controller.signal, log: this.log });
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    const took = `done in ${seconds(Date.now() - startedAt)}`;
    const abort = controller.signal.aborted ? (controller.signal.reason as JobAbortReason) : null;
    const detail = failure ? failure.message : summary || 'ok';
    if (abort === 'lease_lost') {
      this.log.warn(`${what} ${took}, ${detail}, but its lease was lost (${entry.lostReason}): result dropped, not acked`);
      return;
    }
    if (!failure || abort === 'stop_requested') {
      const outcome = await this.settle('ack', job);
      const why = abort === 'stop_requested' ? ' (stopped on request)' : '';
      this.log.info(`${what} ${took}, ${detail}${why} → ${outcome}`);
      return;
    }
    const reason = abort === 'shutdown' ? `worker shut down before it finished (${detail})` : detail;
    const outcome = await this.settle('nack', job, reason);
    this.log.info(`${what} ${took}, ${detail} → ${outcome}`);
  }

  private leaseLost(leaseId: string, reason: string): void {
    const entry = this.active.get(leaseId);
    if (!entry) return;
    entry.lostReason = reason;
    this.log.warn(`build ${entry.job.buildId}: the broker took its lease back (${reason}); stopping it here`);
    entry.controller.abort('lease_lost' satisfies JobAbortReason);
  }

  /** Acks or nacks one lease, retrying while the broker cannot be reached; answers what happened, for the log. */
  private async settle(kind: 'ack' | 'nack', job: Job, reason?: string): Promise<string> {
    const deadline = Date.now() + this.settleTimeoutMs;
    const backoff = new Backoff({ baseMs: 250, maxMs: 5000 });
    for (;;) {
      try {
        const answer = kind === 'ack' ? await this.client.ack([job.leaseId]) : await this.client.nack([job.leaseId], reason);
        const rejected = answer.rejected.find((r) => r.leaseId === job.leaseId);
        this.observer.settled?.(job, kind, !rejected);
        if (rejected) return `not ${kind}ed: ${rejected.reason}`;
        return kind === 'ack' ? 'acked' : 'nacked (it will be delivered again)';
      } catch (err) {
        const problem = describeError(err, this.client.brokerUrl);
        if (!isRetryable(err) || Date.now() >= deadline) {
          this.observer.settled?.(job, kind, false);
          return `${kind} failed (${problem}); the broker will deliver it again after its lease`;
        }
        const wait = backoff.next();
        this.log.warn(`${kind} of build ${job.buildId} failed (${problem}); retrying in ${seconds(wait)}`);
        await sleep(wait);
      }
    }
  }

  /** Nacks builds this worker leased but will not run. */
  private async giveBack(jobs: Job[], reason: string): Promise<void> {
    for (const job of jobs) {
      const outcome = await this.settle('nack', job, reason);
      this.log.info(`build ${job.buildId} ${job.type} not started, ${reason} → ${outcome}`);
    }
  }

  private async drain(): Promise<void> {
    // The poll we aborted may have leased builds before it was cut off: ask for its answer again
    // (same pollId, no waiting) and give those builds back rather than leave them to time out.
    if (this.cutPollShort) {
      try {
        const jobs = await this.client.poll({ max: Math.max(1, this.concurrency - this.active.size), waitMs: 0 });
        await this.giveBack(jobs, 'the worker is shutting down');
      } catch (err) {
        this.log.warn(`could not check the last poll's answer (${describeError(err, this.client.brokerUrl)})`);
      }
    }
    while (this.active.size > 0) await Promise.all([...this.active.values()].map((a) => a.done));
    await this.keeper.close();
  }
}
