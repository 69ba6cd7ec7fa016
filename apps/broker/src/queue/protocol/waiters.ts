/**
 * Polls waiting for work, per queue, in this process. A waiting poll holds no Redis connection:
 * the replica's one subscriber hears "queue got n jobs" and wakes n waiters (no stampede: the
 * rest keep waiting). The per-queue sequence number lets a poll notice a wake-up that crossed its
 * own Redis round trip, so no wake-up is ever lost.
 */
export type WaitOutcome = 'woken' | 'timeout' | 'closed';

interface Waiter {
  resolve: (outcome: WaitOutcome) => void;
  timer: NodeJS.Timeout;
}

/** A woken poll waiting a moment for more builds of its queue (see `gather`). */
interface Gatherer {
  wanted: number;
  done: () => void;
}

interface QueueWaiters {
  sequence: number;
  waiting: Waiter[];
  gathering: Gatherer[];
}

export class Waiters {
  private readonly queues = new Map<string, QueueWaiters>();
  private closed = false;
  private total = 0;

  private entry(queue: string): QueueWaiters {
    let entry = this.queues.get(queue);
    if (!entry) {
      entry = { sequence: 0, waiting: [], gathering: [] };
      this.queues.set(queue, entry);
    }
    return entry;
  }

  get count(): number {
    return this.total;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  waitingOn(queue: string): number {
    return this.queues.get(queue)?.waiting.length ?? 0;
  }

  sequence(queue: string): number {
    return this.queues.get(queue)?.sequence ?? 0;
  }

  /** Waits until woken, `ms` passes, the signal aborts or the replica shuts down. */
  wait(queue: string, ms: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve('closed');
    if (signal?.aborted) return Promise.resolve('closed');
    const entry = this.entry(queue);
    return new Promise<WaitOutcome>((resolve) => {
      const finish = (outcome: WaitOutcome) => {
        clearTimeout(waiter.timer);
        signal?.removeEventListener('abort', onAbort);
        const at = entry.waiting.indexOf(waiter);
        if (at !== -1) {
          entry.waiting.splice(at, 1);
          this.total--;
        }
        resolve(outcome);
      };
      const onAbort = () => finish('closed');
      const waiter: Waiter = { resolve: finish, timer: setTimeout(() => finish('timeout'), ms) };
      entry.waiting.push(waiter);
      this.total++;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Holds a woken poll until `wanted` more jobs arrive on its queue, `ms` passes, the signal aborts
   * or the replica shuts down; resolves with the arrivals it counted. Arrivals go to gathering polls
   * before they wake waiting ones: the gathering poll takes them in its batch, so waking another
   * poll for them would be a wasted read.
   */
  gather(queue: string, wanted: number, ms: number, signal?: AbortSignal): Promise<number> {
    if (this.closed || signal?.aborted || wanted <= 0 || ms <= 0) return Promise.resolve(0);
    const entry = this.entry(queue);
    return new Promise<number>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const at = entry.gathering.indexOf(gatherer);
        if (at !== -1) entry.gathering.splice(at, 1);
        resolve(wanted - gatherer.wanted);
      };
      const gatherer: Gatherer = { wanted, done };
      const timer = setTimeout(done, ms);
      entry.gathering.push(gatherer);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** `n` jobs arrived on a queue: credited to gathering polls first, then that many waiters woken, oldest first. */
  wake(queue: string, n: number): void {
    const entry = this.entry(queue);
    entry.sequence++;
    let left = n;
    for (const gatherer of [...entry.gathering]) {
      if (left <= 0) break;
      const taken = Math.min(left, gatherer.wanted);
      gatherer.wanted -= taken;
      left -= taken;
      if (gatherer.wanted === 0) gatherer.done();
    }
    for (let i = 0; i < left; i++) {
      const waiter = entry.waiting[0];
      if (!waiter) break;
      waiter.resolve('woken');
    }
  }

  /** Shutdown: every waiting poll answers at once. */
  closeAll(): void {
    this.closed = true;
    for (const entry of this.queues.values()) {
      for (const gatherer of [...entry.gathering]) gatherer.done();
      for (const waiter of [...entry.waiting]) waiter.resolve('closed');
    }
  }
}
