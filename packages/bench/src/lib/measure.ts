import { wallNow } from './log.js';

/** What every load-generating role reports: wall-clock span of its work and its own CPU. */
export interface RoleResult {
  count: number;
  /** wall-clock ms (performance.timeOrigin based) of the first operation started */
  firstAt: number;
  /** wall-clock ms of the last operation completed */
  lastAt: number;
  cpuSeconds: number;
  errors: number;
  /** Free-form figures a role wants to hand back (latency samples, answers by status, ...). */
  extra?: Record<string, unknown>;
}

export class Meter {
  count = 0;
  errors = 0;
  firstAt = Number.NaN;
  lastAt = Number.NaN;
  private readonly cpuStart = process.cpuUsage();

  started(): void {
    if (Number.isNaN(this.firstAt)) this.firstAt = wallNow();
  }

  completed(n = 1): void {
    this.count += n;
    this.lastAt = wallNow();
  }

  result(extra?: Record<string, unknown>): RoleResult {
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      count: this.count,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      errors: this.errors,
      ...(extra ? { extra } : {}),
    };
  }
}

/** Runs `concurrency` loops that each take the next index until `total` are done. */
export async function concurrentLoop(total: number, concurrency: number, step: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const loop = async () => {
    for (;;) {
      const index = next++;
      if (index >= total) return;
      await step(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, loop));
}

/** A promise with its resolve handle, for "the Nth job arrived". */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Counts what a consumer takes: the first `warmup` jobs (posted by the producer while both get
 * ready) are not measured; after go(), the meter runs until `jobs` more are done.
 */
export class ConsumeTracker {
  meter = new Meter();
  readonly warmedUp = deferred();
  readonly finished = deferred();
  private total = 0;
  private measuring = false;

  constructor(
    private readonly warmup: number,
    private readonly jobs: number,
  ) {
    // Without a warm-up everything counts, from the start (a drain of builds queued beforehand).
    if (warmup === 0) {
      this.warmedUp.resolve();
      this.measuring = true;
      this.meter.started();
    }
  }

  get isWarmedUp(): boolean {
    return this.total >= this.warmup;
  }

  consumed(n = 1): void {
    this.total += n;
    if (!this.measuring) {
      if (this.total >= this.warmup) this.warmedUp.resolve();
      return;
    }
    this.meter.completed(n);
    if (this.meter.count >= this.jobs) this.finished.resolve();
  }

  go(): void {
    if (!this.measuring) {
      this.meter = new Meter();
      this.measuring = true;
      this.meter.started();
    }
    if (this.meter.count >= this.jobs) this.finished.resolve();
  }

  fail(err: Error): void {
    this.warmedUp.reject(err);
    this.finished.reject(err);
  }
}
