import { seconds, type WorkerLog } from '../log.js';

/** What the executor's verify said, read for a person: '' means the build is running (or done). */
export function stuckReason(verdict: unknown, waitedMs: number): string | null {
  if (typeof verdict !== 'string' || verdict === '') return null;
  const after = `Build did not start within ${seconds(waitedMs)}`;
  // executor-k8s answers these two words for a pod still pending, which is only a failure once the time is up.
  if (verdict === 'waiting')
    return `${after}: its pod was never scheduled (no node has room for it, or none matches its selectors)`;
  if (verdict === 'initializing') return `${after}: its pod is still pulling images or starting its containers`;
  return verdict;
}

const PENDING_VERDICTS = new Set(['waiting', 'initializing']);

export interface WatchedStart {
  buildId: number;
  /** The executor's verify for this build. */
  verify: () => Promise<unknown>;
  /** The build is stuck: report it and clean up. */
  onStuck: (reason: string) => Promise<void>;
  /** The executor already said the pod is not running yet (executor-k8s's start answers false): check soon. */
  checkSoon?: boolean;
}

/**
 * The start watchdog: once a build's start is accepted, it must reach RUNNING within the timeout.
 * The worker learns that from the executor's verify (the pod's own state), not from the API: the
 * launcher's temporal token is for updating the build, and only the executor sees why a pod
 * waits (an image that does not pull, a pod no node can take). A verify that fails is tried
 * again a few times before the watchdog gives up on that build, saying so.
 */
export class StartWatchdog {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(private readonly options: { timeoutMs: number; soonMs: number; retryMs: number; log: WorkerLog }) {}

  get watching(): number {
    return this.timers.size;
  }

  watch(start: WatchedStart): void {
    this.cancel(start.buildId);
    const startedAt = Date.now();
    const deadline = startedAt + this.options.timeoutMs;
    const schedule = (ms: number, final: boolean, triesLeft: number) => {
      const timer = setTimeout(() => void check(final, triesLeft), ms);
      timer.unref();
      this.timers.set(start.buildId, timer);
    };
    const check = async (final: boolean, triesLeft: number) => {
      let verdict: unknown;
      try {
        verdict = await start.verify();
      } catch (err) {
        if (!this.timers.has(start.buildId)) return;
        const why = (err as Error)?.message ?? String(err);
        if (triesLeft > 0) {
          this.options.log.warn(
            `build ${start.buildId}: verify failed (${why}); trying again in ${seconds(this.options.retryMs)}`,
          );
          schedule(this.options.retryMs, final, triesLeft - 1);
        } else {
          this.options.log.error(`build ${start.buildId}: verify failed (${why}); no longer watching its start`);
          this.timers.delete(start.buildId);
        }
        return;
      }
      if (!this.timers.has(start.buildId)) return; // a stop came meanwhile
      const pending = typeof verdict === 'string' && PENDING_VERDICTS.has(verdict);
      if (!final && pending) {
        schedule(Math.max(0, deadline - Date.now()), true, 3);
        return;
      }
      this.timers.delete(start.buildId);
      const reason = stuckReason(verdict, Date.now() - startedAt);
      if (reason === null) {
        this.options.log.info(`build ${start.buildId}: verified running after ${seconds(Date.now() - startedAt)}`);
        return;
      }
      this.options.log.warn(`build ${start.buildId}: ${reason}`);
      await start
        .onStuck(reason)
        .catch((err: unknown) =>
          this.options.log.error(
            `build ${start.buildId}: handling its stuck start failed: ${(err as Error)?.message ?? String(err)}`,
          ),
        );
    };
    if (start.checkSoon && this.options.soonMs < this.options.timeoutMs) schedule(this.options.soonMs, false, 3);
    else schedule(this.options.timeoutMs, true, 3);
  }

  cancel(buildId: number): void {
    const timer = this.timers.get(buildId);
    if (timer) clearTimeout(timer);
    this.timers.delete(buildId);
  }

  /** Stops watching everything (the worker is exiting); answers how many builds were still watched. */
  close(): number {
    const count = this.timers.size;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    return count;
  }
}
