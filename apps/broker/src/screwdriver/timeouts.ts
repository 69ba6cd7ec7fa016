import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import { SD_KEYS } from './keys.js';
import { DueWork } from './due-loop.js';
import { claimed } from './scripts.js';

/**
 * Build timeouts (`?type=timer`): Screwdriver arms one when its launcher sets a build RUNNING and
 * disarms it when the build ends. A build still running `screwdriver.cd/timeout` minutes (default
 * 90) plus a buffer after it started is failed through the API and stopped on its cluster.
 * Timers are kept in Redis: a broker restart keeps them, and any replica fires a due one. Firing
 * keeps the timer claimed, not removed, until both actions are recorded (they are idempotent), so
 * a replica dying mid-way leaves it to another.
 */
export interface TimerStart {
  buildId: number;
  jobId?: number;
  buildStatus?: string;
  startTime?: string;
  annotations?: Record<string, unknown>;
}

export interface TimeoutsDeps {
  redis: RedisClient;
  log: FastifyBaseLogger;
  bufferSeconds: number;
  /** Fail the build in Screwdriver and stop it on its cluster; resolves once both are recorded. */
  expire(buildId: number, timer: ArmedTimer): Promise<void>;
}

export interface ArmedTimer {
  jobId: number | null;
  startTime: string;
  timeoutMinutes: number;
}

export const DEFAULT_TIMEOUT_MINUTES = 90;
const CLAIM_MS = 60_000;
const BATCH = 100;

/** `screwdriver.cd/timeout` as Screwdriver reads it: a whole number of minutes, else the default. */
export function timeoutMinutes(annotations: Record<string, unknown> | undefined): number {
  const raw = annotations?.['screwdriver.cd/timeout'];
  const value = typeof raw === 'number' ? Math.trunc(raw) : Number.parseInt(typeof raw === 'string' ? raw : '', 10);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_TIMEOUT_MINUTES;
}

export class Timeouts extends DueWork {
  constructor(private readonly deps: TimeoutsDeps) {
    super(deps.redis, { what: 'build timeouts', log: deps.log });
  }

  /** Arms the build's timer when the build is RUNNING; true when armed now (false: not running, or armed before). */
  async start(body: TimerStart): Promise<boolean> {
    if (body.buildStatus !== undefined && body.buildStatus !== 'RUNNING') return false;
    const started = body.startTime ? Date.parse(body.startTime) : Number.NaN;
    const startMs = Number.isFinite(started) ? started : Date.now();
    const minutes = timeoutMinutes(body.annotations);
    const deadline = startMs + minutes * 60_000 + this.deps.bufferSeconds * 1000;
    const timer: ArmedTimer = { jobId: body.jobId ?? null, startTime: new Date(startMs).toISOString(), timeoutMinutes: minutes };
    const armed =
      (await this.scripts['timer-start'](
        SD_KEYS.timersDue,
        SD_KEYS.timerBase + body.buildId,
        body.buildId,
        deadline,
        JSON.stringify(timer),
      )) === 1;
    if (armed) this.loop.soon(Math.max(0, deadline - Date.now()));
    return armed;
  }

  /** Disarms it; true when one was armed. */
  async stop(buildId: number): Promise<boolean> {
    return (await this.scripts['timer-stop'](SD_KEYS.timersDue, SD_KEYS.timerBase + buildId, buildId)) === 1;
  }

  /** When the build's timer fires (ms, Redis clock), or null when none is armed. */
  async deadline(buildId: number): Promise<number | null> {
    const score = await this.deps.redis.zscore(SD_KEYS.timersDue, String(buildId));
    return score === null ? null : Number(score);
  }

  protected async fireDue(): Promise<void> {
    const reply = await this.scripts['claim-due'](SD_KEYS.timersDue, SD_KEYS.timerBase, BATCH, CLAIM_MS, 'd');
    for (const { id, values } of claimed(reply, 1).entries) {
      const buildId = Number(id);
      const timer = JSON.parse(values[0]!) as ArmedTimer;
      try {
        await this.deps.expire(buildId, timer);
        await this.stop(buildId);
        this.deps.log.info(
          { buildId, timeoutMinutes: timer.timeoutMinutes },
          `build ${buildId} timed out after ${timer.timeoutMinutes} min`,
        );
      } catch (err) {
        // Claimed, not removed: fired again once the claim runs out.
        this.deps.log.warn({ err, buildId }, `build ${buildId} timed out, but acting on it failed; trying again later`);
      }
    }
  }
}
