import type { Job } from '@buildcluster/protocol';
import type { WorkerMetrics } from '../health/metrics.js';
import type { WorkerLog } from '../log.js';
import type { JobHandler } from '../worker.js';
import { BuildChains } from './build-chains.js';
import { describeExecutorError, permanentReason, statusOf } from './failure.js';
import { hasBuildCheck } from './has-build.js';
import { startMessage, stopMessage } from './messages.js';
import { RecentStarts } from './recent-starts.js';
import { reportFailure } from './screwdriver-api.js';
import type { BuildMessage, ExecutorSet, NamedExecutor } from './types.js';
import { StartWatchdog } from './watchdog.js';

export interface LifecycleOptions {
  executors: ExecutorSet;
  log: WorkerLog;
  metrics: WorkerMetrics;
  /** How long a started build may take to reach RUNNING before the watchdog fails it (default 5 min). */
  startTimeoutMs?: number;
  /** When the executor says at once that the pod is not running yet, the first look after (default 15 s). */
  verifySoonMs?: number;
  /** The ecosystem's API URL, for a stop that carries no apiUri and whose start this worker never saw. */
  ecosystemApi?: string;
  /** Replaceable in SDK use; the CLI reports to the message's apiUri. */
  report?: (message: BuildMessage, statusMessage: string) => Promise<void>;
}

/**
 * Screwdriver's start and stop messages, handed to its executor plugins the way
 * buildcluster-queue-worker hands them, with what it lacks: FAILURE reported on the last attempt
 * and for permanent errors, no second pod for a redelivered start, a stop never before its start,
 * and a watchdog for starts that never reach RUNNING.
 */
export class BuildLifecycle {
  readonly watchdog: StartWatchdog;
  private readonly chains = new BuildChains();
  private readonly starts = new RecentStarts();
  private readonly report: (message: BuildMessage, statusMessage: string) => Promise<void>;

  constructor(private readonly options: LifecycleOptions) {
    this.watchdog = new StartWatchdog({
      timeoutMs: options.startTimeoutMs ?? 5 * 60_000,
      soonMs: options.verifySoonMs ?? 15_000,
      retryMs: 30_000,
      log: options.log,
    });
    this.report = options.report ?? ((message, text) => reportFailure(message, text));
  }

  readonly handler: JobHandler = (job) =>
    this.chains.run(job.buildId, () => (job.type === 'start' ? this.start(job) : this.stop(job)));

  private async start(job: Job): Promise<string> {
    const message = startMessage(job);
    if (job.attempt > 1) {
      let found: NamedExecutor | null;
      try {
        found = await this.findExisting(message);
      } catch (err) {
        return this.startFailed(
          job,
          message,
          new Error(`could not check for a pod of the earlier attempt: ${describeExecutorError(err)}`),
          null,
        );
      }
      if (found) {
        this.options.metrics.started.inc();
        this.starts.remember(message, found.name);
        this.watch(message, found, false);
        return `already has a pod or container on ${found.name} from an earlier attempt: not started again`;
      }
    }
    const target = this.options.executors.pick(message);
    let result: unknown;
    try {
      result = await target.executor.start(message);
    } catch (err) {
      return this.startFailed(job, message, err, target);
    }
    this.options.metrics.started.inc();
    this.starts.remember(message, target.name);
    // executor-k8s answers false when the pod was created but is not on a node yet or already failing.
    this.watch(message, target, result === false);
    return `started on ${target.name}${result === false ? ' (not running yet; checking soon)' : ''}`;
  }

  /** The first executor that already has this build, asking every one that can tell. */
  private async findExisting(message: BuildMessage): Promise<NamedExecutor | null> {
    const able = this.options.executors.all().filter((n) => hasBuildCheck(n.executor) !== null);
    if (able.length === 0) {
      this.options.log.warn(`build ${message.buildId}: no executor can tell whether an earlier attempt started it; starting it`);
      return null;
    }
    for (const named of able) if (await hasBuildCheck(named.executor)!(message)) return named;
    return null;
  }

  /**
   * Ack (by answering) when retrying cannot help or this was the last attempt, after telling
   * Screwdriver the build failed; otherwise throw, so the worker nacks and it comes back. When
   * the report itself fails, throw too: the broker keeps the build (dead letters after the last
   * attempt) rather than leave it QUEUED in Screwdriver with nobody knowing.
   */
  private async startFailed(job: Job, message: BuildMessage, err: unknown, target: NamedExecutor | null): Promise<string> {
    const reason = describeExecutorError(err);
    const permanent = permanentReason(err);
    const last = job.maxAttempts !== undefined && job.attempt >= job.maxAttempts;
    const on = target ? ` on ${target.name}` : '';
    if (!permanent && !last) throw new Error(`start failed${on}: ${reason}`);
    const why = permanent ? `${permanent}` : `attempt ${job.attempt} of ${job.maxAttempts}`;
    const statusMessage = `Build failed to start: ${reason}`;
    try {
      await this.report(message, statusMessage);
    } catch (reportErr) {
      throw new Error(
        `start failed${on} (${why}): ${reason}; reporting FAILURE to Screwdriver failed too: ${(reportErr as Error).message}`,
      );
    }
    this.options.metrics.failed.inc({ reason: permanent ? 'permanent' : 'last_attempt' });
    return `start failed${on} (${why}): ${reason}; reported FAILURE to Screwdriver`;
  }

  private watch(message: BuildMessage, target: NamedExecutor, checkSoon: boolean): void {
    this.watchdog.watch({
      buildId: message.buildId,
      checkSoon,
      verify: () => target.executor.verify(message),
      onStuck: async (reason) => {
        await this.report(message, reason);
        this.options.metrics.failed.inc({ reason: 'not_running' });
        this.options.log.info(`build ${message.buildId}: reported FAILURE to Screwdriver; removing what it left`);
        const { message: stop } = stopMessage(message.buildId, {}, message, undefined);
        await target.executor
          .stop(stop)
          .catch((err: unknown) =>
            this.options.log.warn(`build ${message.buildId}: stop after the failed start failed: ${describeExecutorError(err)}`),
          );
      },
    });
  }

  private async stop(job: Job): Promise<string> {
    this.watchdog.cancel(job.buildId);
    const seen = this.starts.get(job.buildId);
    const { message, missing } = stopMessage(job.buildId, job.message, seen?.message, this.options.ecosystemApi);
    if (missing.length > 0) {
      this.options.log.warn(
        `build ${job.buildId} stop: ${missing.join(', ')} missing; neither the stop message nor a start this worker saw has ` +
          (missing.includes('apiUri') ? 'them, and ecosystem.api is not set' : 'them'),
      );
    }
    const target = seen
      ? (this.options.executors.all().find((n) => n.name === seen.executor) ?? this.options.executors.pick(message))
      : this.options.executors.pick(message);
    try {
      await target.executor.stop(message);
    } catch (err) {
      const reason = describeExecutorError(err);
      const permanent = permanentReason(err);
      if (statusOf(err) === 404) return `nothing to stop on ${target.name} (404): ${reason}`;
      // A stop that can never succeed is not worth delivering again; say so loudly instead.
      if (permanent) {
        this.options.log.error(`build ${job.buildId} stop on ${target.name} cannot succeed (${permanent}): ${reason}`);
        return `not stopped (${permanent}): ${reason}`;
      }
      throw new Error(`stop failed on ${target.name}: ${reason}`);
    }
    return `stopped on ${target.name}`;
  }
}
