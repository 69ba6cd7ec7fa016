import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import type { QueueModule } from '../queue/types.js';
import { SD_KEYS } from './keys.js';

/**
 * Tells Screwdriver where each queued build stands ("queued on cluster east-1, position 12"), at
 * most every `intervalMs`. One replica at a time does it (a lease in Redis). Per queue only the
 * builds near the front are looked at: their positions move; one further back hears again when it
 * comes near the front. A build whose position did not move is not told again.
 */
export interface PositionsDeps {
  redis: RedisClient;
  queue: QueueModule;
  log: FastifyBaseLogger;
  intervalMs: number;
  tell(buildId: number, statusMessage: string): Promise<void>;
}

/** How far into each queue positions are kept current. */
const FRONT = 100;

export const queuedMessage = (cluster: string, position?: number): string =>
  position === undefined ? `queued on cluster ${cluster}` : `queued on cluster ${cluster}, position ${position}`;

export class Positions {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: PositionsDeps) {}

  start(): void {
    if (this.deps.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.refresh()
        .catch((err: unknown) => this.deps.log.warn({ err }, 'queue positions: refresh failed'))
        .finally(() => {
          this.running = null;
        });
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every queue, when this replica holds the lease. */
  async refresh(): Promise<void> {
    const { redis, queue } = this.deps;
    const held = await redis.set(
      SD_KEYS.positionsLease,
      String(process.pid),
      'PX',
      Math.max(1000, this.deps.intervalMs - 100),
      'NX',
    );
    if (held !== 'OK') return;
    for (const ref of await queue.admin.queues()) {
      const next = await queue.admin.next(ref);
      const key = SD_KEYS.positions(ref.queue);
      const told = await redis.hgetall(key);
      const now: Record<string, string> = {};
      const changed: Array<[number, number]> = [];
      for (const build of next.slice(0, FRONT)) {
        if (build.type !== 'start') continue;
        now[build.buildId] = String(build.position);
        if (told[build.buildId] !== String(build.position)) changed.push([build.buildId, build.position]);
      }
      const tx = redis.multi().del(key);
      if (Object.keys(now).length > 0) tx.hset(key, now);
      await tx.exec();
      await Promise.all(changed.map(([buildId, position]) => this.deps.tell(buildId, queuedMessage(ref.cluster, position))));
    }
  }
}
