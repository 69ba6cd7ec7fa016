import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import { sdScripts } from './scripts.js';

export interface DueLoopOptions {
  /** One pass over what is due. Resolving `true` says it left more that is due now: the next pass follows at once. */
  pass: () => Promise<boolean | void>;
  /** What the loop works on, for the warning when a pass fails (the loop goes on). */
  what: string;
  log: FastifyBaseLogger;
  /** The wait after a pass, and the longest `soon` waits (default 1 s). */
  idleMs?: number;
  /**
   * A `soon` that comes while a pass runs: when true, the next pass follows right after the running
   * one; when false (the default), it waits `idleMs` as after any pass.
   */
  followUp?: boolean;
}

/**
 * The loop of work that falls due in Redis (build timeouts, frozen builds, updates for Screwdriver):
 * one pass at a time, at least every `idleMs`, and sooner when something falls due earlier (`soon`).
 * Passes stop at `close`, which waits for the one running.
 */
export class DueLoop {
  private readonly pass: () => Promise<boolean | void>;
  private readonly failed: (err: unknown) => void;
  private readonly idleMs: number;
  private readonly followUp: boolean;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** Another pass is due right after the running one. */
  private again = false;

  constructor(options: DueLoopOptions) {
    this.pass = options.pass;
    this.failed = (err: unknown) => options.log.warn({ err }, `${options.what}: could not read what is due`);
    this.idleMs = options.idleMs ?? 1000;
    this.followUp = options.followUp ?? false;
  }

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

  /** The next pass within `ms` (at most `idleMs` from now); while one runs, see `followUp`. */
  soon(ms: number): void {
    if (this.stopped) return;
    if (this.running) {
      if (this.followUp) this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.running = this.pass()
          .then((more) => {
            if (more === true) this.again = true;
          })
          .catch(this.failed)
          .finally(() => {
            this.running = null;
            const more = this.again;
            this.again = false;
            this.soon(more ? 0 : this.idleMs);
          });
      },
      Math.min(ms, this.idleMs),
    );
    this.timer.unref();
  }
}

/**
 * Work the Screwdriver side keeps in Redis until it falls due, done by the passes of a DueLoop
 * (`fireDue`) with the side's Lua scripts. `run` starts the passes, `close` ends them.
 */
export abstract class DueWork {
  protected readonly scripts: ReturnType<typeof sdScripts>;
  protected readonly loop: DueLoop;

  protected constructor(redis: RedisClient, loop: Omit<DueLoopOptions, 'pass'>) {
    this.scripts = sdScripts(redis);
    this.loop = new DueLoop({ ...loop, pass: () => this.fireDue() });
  }

  /** One pass over what is due now (see DueLoopOptions.pass). */
  protected abstract fireDue(): Promise<boolean | void>;

  run(): void {
    this.loop.run();
  }

  close(): Promise<void> {
    return this.loop.close();
  }
}
