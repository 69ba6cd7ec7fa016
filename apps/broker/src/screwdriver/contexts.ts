import type { RedisClient } from '../redis/client.js';
import { SD_KEYS, frozenKeys } from './keys.js';
import { sdScripts } from './scripts.js';
import { claimsOf, type BuildClaims } from './tokens.js';

/**
 * What the broker keeps of a start message for as long as it keeps the build: where Screwdriver's
 * API is, the claims of the tokens it signs for the build, and the fields Screwdriver's own stop
 * carries (a stop sent with less is completed from these, so an executor's `stop()` has them).
 */
export interface BuildContext {
  apiUri: string | null;
  claims: BuildClaims;
  /** When the broker accepted the build: Screwdriver's `stats.queueEnterTime`. */
  acceptedAt: string;
  stop: Record<string, unknown>;
}

/** Start-message fields a stop message carries in Screwdriver (models `build.stop()`). */
const STOP_FIELDS = [
  'buildId',
  'jobId',
  'jobName',
  'pipelineId',
  'annotations',
  'freezeWindows',
  'blockedBy',
  'apiUri',
  'buildClusterName',
  'provider',
] as const;

export class BuildContexts {
  private readonly scripts: ReturnType<typeof sdScripts>;

  constructor(
    private readonly redis: RedisClient,
    private readonly keepSeconds: number,
  ) {
    this.scripts = sdScripts(redis);
  }

  static of(message: Record<string, unknown>, acceptedAt: Date): BuildContext {
    const stop: Record<string, unknown> = {};
    for (const field of STOP_FIELDS) if (message[field] !== undefined && message[field] !== null) stop[field] = message[field];
    const pipeline = message.pipeline as { id?: unknown } | undefined;
    if (stop.pipelineId === undefined && typeof pipeline?.id === 'number') stop.pipelineId = pipeline.id;
    return {
      apiUri: typeof message.apiUri === 'string' && message.apiUri !== '' ? message.apiUri : null,
      claims: claimsOf(message),
      acceptedAt: acceptedAt.toISOString(),
      stop,
    };
  }

  /**
   * Kept once, from the first start message; a retried post does not move `acceptedAt`. With the
   * build's job, that job's frozen build is forgotten in the same call (start-note-5.lua), as every
   * start of a job forgets it: one Redis call, not two, on every post.
   */
  async remember(buildId: number, context: BuildContext, jobId?: number): Promise<void> {
    await this.scripts['start-note'](
      ...frozenKeys(jobId ?? ''),
      SD_KEYS.context(buildId),
      jobId ?? '',
      JSON.stringify(context),
      this.keepSeconds,
    );
  }

  async get(buildId: number): Promise<BuildContext | null> {
    const raw = await this.redis.get(SD_KEYS.context(buildId));
    return raw === null ? null : (JSON.parse(raw) as BuildContext);
  }

  /** A stop message with the start's fields filled in where Screwdriver sent less. */
  async completeStop<T extends { buildId: number }>(body: T): Promise<T> {
    const context = await this.get(body.buildId);
    if (!context) return body;
    const filled: Record<string, unknown> = { ...context.stop };
    for (const [key, value] of Object.entries(body)) if (value !== undefined && value !== null) filled[key] = value;
    return filled as T;
  }
}
