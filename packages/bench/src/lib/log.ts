/** Progress lines go to stderr so stdout stays the final table (and can be piped). */
const startedAt = Date.now();

export function progress(message: string): void {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds}s] ${message}\n`);
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { waitFor } from '@buildcluster/testkit/wait';
