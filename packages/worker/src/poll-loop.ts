import type { Job } from '@buildcluster/protocol';
import { Backoff, sleep, type BackoffOptions } from './backoff.js';
import type { WorkerClient } from './client.js';
import { describeError } from './describe-error.js';
import { AbortedError } from './errors.js';
import type { JobRunner } from './job-runner.js';
import { seconds, type WorkerLog } from './log.js';
import type { WorkerObserver } from './worker-types.js';

export interface PollLoopOptions {
  client: WorkerClient;
  runner: JobRunner;
  concurrency: number;
  pollWaitMs: number;
  log: WorkerLog;
  backoff?: BackoffOptions;
  observer: WorkerObserver;
}

const SHUTTING_DOWN = 'the worker is shutting down';

/**
 * The poll side of the worker: long-polls the broker while the runner has free slots, hands each
 * leased message to the runner, and backs off after failed polls. Once stopped, it gives back
 * whatever a poll leased that will not run.
 */
export class PollLoop {
  private readonly backoff: Backoff;
  private readonly pollAbort = new AbortController();
  private wakeLoop: (() => void) | null = null;
  private stopping = false;
  private failingSince: number | null = null;
  /** The stop cut a poll short: its answer, with any leases it made, was never read. */
  private cutPollShort = false;

  constructor(private readonly options: PollLoopOptions) {
    this.backoff = new Backoff(options.backoff);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Ends the loop: no new polls, and the poll in flight is cut short. */
  stop(): void {
    this.stopping = true;
    this.pollAbort.abort();
    this.wakeLoop?.();
  }

  /** A slot may be free again: a loop waiting for one looks again. */
  wake(): void {
    this.wakeLoop?.();
  }

  /** Polls until stopped; resolves once stopped, with leases from a cut-short poll given back. */
  async run(): Promise<void> {
    await this.poll();
    await this.reclaimCutPoll();
  }

  private async poll(): Promise<void> {
    const { client, runner, concurrency, pollWaitMs, log, observer } = this.options;
    while (!this.stopping) {
      if (runner.running >= concurrency) {
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        this.wakeLoop = null;
        continue;
      }
      const startedAt = Date.now();
      let jobs: Job[];
      try {
        jobs = await client.poll({
          max: concurrency - runner.running,
          waitMs: pollWaitMs,
          signal: this.pollAbort.signal,
        });
      } catch (err) {
        if (err instanceof AbortedError && this.stopping) {
          this.cutPollShort = client.hasUnansweredPoll;
          break;
        }
        observer.pollFailed?.(err);
        await this.pollFailed(err);
        continue;
      }
      observer.pollAnswered?.();
      if (this.failingSince !== null) {
        log.info(`connected to the broker again after ${seconds(Date.now() - this.failingSince)}`);
        this.failingSince = null;
      }
      this.backoff.reset();
      if (this.stopping) {
        await runner.giveBack(jobs, SHUTTING_DOWN);
        break;
      }
      for (const job of jobs) runner.begin(job);
      // An empty answer long before waitMs is not what a broker does; never spin on it.
      if (jobs.length === 0 && Date.now() - startedAt < 100) await sleep(100 + Math.random() * 200, this.pollAbort.signal);
    }
  }

  private async pollFailed(err: unknown): Promise<void> {
    const { client, log } = this.options;
    this.failingSince ??= Date.now();
    const wait = this.backoff.next();
    const tries = this.backoff.attempts;
    const again = tries > 1 ? ` (${tries} failed polls in a row)` : '';
    log.warn(`poll failed: ${describeError(err, client.brokerUrl)}${again}; retrying in ${seconds(wait)}`);
    await sleep(wait, this.pollAbort.signal);
  }

  /**
   * The poll we aborted may have leased builds before it was cut off: ask for its answer again
   * (same pollId, no waiting) and give those builds back rather than leave them to time out.
   */
  private async reclaimCutPoll(): Promise<void> {
    const { client, runner, concurrency, log } = this.options;
    if (!this.cutPollShort) return;
    try {
      const jobs = await client.poll({
        max: Math.max(1, concurrency - runner.running),
        waitMs: 0,
      });
      await runner.giveBack(jobs, SHUTTING_DOWN);
    } catch (err) {
      log.warn(`could not check the last poll's answer (${describeError(err, client.brokerUrl)})`);
    }
  }
}
