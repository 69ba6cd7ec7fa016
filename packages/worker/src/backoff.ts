/**
 * Exponential backoff with "equal jitter": the n-th delay is drawn from [d/2, d] where
 * d = min(maxMs, baseMs * 2^n). Half of it is fixed, so a worker never retries in a hot loop;
 * the random half spreads a fleet of workers that all lost the broker at the same moment.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** A random number in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) {
      throw new RangeError(`backoff needs 0 < baseMs <= maxMs, got ${this.baseMs} and ${this.maxMs}`);
    }
  }

  /** How many failures in a row this backoff has seen. */
  get attempts(): number {
    return this.failures;
  }

  /** Records one more failure and answers how long to wait before the next try. */
  next(): number {
    // 2^failures overflows to Infinity long after the cap is reached; min() keeps it finite.
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures += 1;
    const half = ceiling / 2;
    return Math.round(half + this.random() * half);
  }

  /** After a success the next failure starts from the base delay again. */
  reset(): void {
    this.failures = 0;
  }
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
