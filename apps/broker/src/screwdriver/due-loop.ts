/**
 * The loop of a due-time zset (build timeouts, frozen builds): one pass at a time, at least every
 * second, and sooner when something falls due earlier (`soon`). Passes stop at `close`, which waits
 * for the one running.
 */
const MAX_TICK_MS = 1000;

export class DueLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly failed: (err: unknown) => void,
  ) {}

  get closed(): boolean {
    return this.stopped;
  }

  run(): void {
    this.stopped = false;
    this.soon(0);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The next pass within `ms` (at most a second from now); nothing while one runs, which is followed by another. */
  soon(ms: number): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.running = this.pass()
          .catch(this.failed)
          .finally(() => {
            this.running = null;
            this.soon(MAX_TICK_MS);
          });
      },
      Math.min(ms, MAX_TICK_MS),
    );
    this.timer.unref();
  }
}
