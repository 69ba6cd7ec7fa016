import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import type { AdminEvent, AdminEventOutcome } from './admin-events.js';
import { SD_KEYS, frozenKeys } from './keys.js';
import { DueWork } from './due-loop.js';
import { claimed } from './scripts.js';

/**
 * Builds held by their job's freeze windows, one per job, kept in Redis until the window ends.
 * Then the job is started again through the API (`start`, the pipeline admin's `POST /v4/events`
 * with the build's id), from whichever replica claims it first. The claim moves the build's due
 * time ahead instead of removing it, so a replica dying before the API answered leaves it to
 * another once the claim runs out. A start that succeeded is not repeated: the API sends the new
 * build's start message before it answers, and every start message of a job forgets the job's
 * frozen build (`forgetJob`), so the entry is gone even if the replica died before dropping it.
 */
export interface FrozenEvent extends AdminEvent {
  /** As sent with the build: a job disabled or archived then is not started (the queue-service's check). */
  jobState?: string;
  jobArchived?: boolean;
}

export interface FrozenBuild {
  buildId: number;
  jobId: number;
  pipelineId: number;
  frozenUntil: string;
  reason: string;
}

export interface FrozenBuildsDeps {
  redis: RedisClient;
  log: FastifyBaseLogger;
  /** Starts the job's event (AdminEvents.start); null when the broker cannot sign for Screwdriver. */
  start: ((event: FrozenEvent) => Promise<AdminEventOutcome>) | null;
  /** How long a claimed build is left to its replica (default 60 s: the two API calls of a start take 20 s at most). */
  claimMs?: number;
  /** First retry delay; each failed start doubles it, up to 5 minutes (default 5 s). */
  retryMs?: number;
}

/** Builds started side by side per pass; the pass takes as long as its slowest start. */
const BATCH = 10;
const MAX_RETRY_MS = 5 * 60_000;

export class FrozenBuilds extends DueWork {
  constructor(private readonly deps: FrozenBuildsDeps) {
    super(deps.redis, { what: 'frozen builds', log: deps.log });
  }

  /** Whether builds can be frozen at all: the broker must be able to start them again. */
  get enabled(): boolean {
    return this.deps.start !== null;
  }

  /** Holds the build until `until`; the job's older frozen build is forgotten. Returns that one's id, or null. */
  async freeze(buildId: number, until: Date, reason: string, event: FrozenEvent): Promise<number | null> {
    const replaced = await this.scripts['frozen-put'](
      ...frozenKeys(event.jobId),
      event.jobId,
      buildId,
      until.getTime(),
      JSON.stringify(event),
      reason,
      Date.now(),
    );
    this.loop.soon(Math.max(0, until.getTime() - Date.now()));
    return Number(replaced) || null;
  }

  /** Forgets the job's frozen build (only if it is `buildId`, when given); returns the build forgotten, or null. */
  async forgetJob(jobId: number, buildId?: number): Promise<number | null> {
    const dropped = await this.scripts['frozen-drop'](...frozenKeys(jobId), jobId, buildId ?? '');
    return Number(dropped) || null;
  }

  /** Forgets this build if it is frozen; true when it was. */
  async forgetBuild(buildId: number): Promise<boolean> {
    const jobId = await this.deps.redis.hget(SD_KEYS.frozenBuilds, String(buildId));
    if (jobId === null) return false;
    return (await this.forgetJob(Number(jobId), buildId)) !== null;
  }

  /** The build, if it is frozen. */
  async get(buildId: number): Promise<(FrozenBuild & { frozenAt: string }) | null> {
    const jobId = await this.deps.redis.hget(SD_KEYS.frozenBuilds, String(buildId));
    if (jobId === null) return null;
    const [found] = await this.read([jobId]);
    return found && found.buildId === buildId ? found : null;
  }

  /** The first `limit` frozen builds, those frozen longest first, with since when. */
  async list(limit: number): Promise<Array<FrozenBuild & { frozenSince: string }>> {
    if (limit < 1) return [];
    const jobs = await this.deps.redis.zrange(SD_KEYS.frozenOrder, '0', String(Math.max(0, limit - 1)));
    return (await this.read(jobs)).map(({ frozenAt, ...build }) => ({ ...build, frozenSince: frozenAt }));
  }

  count(): Promise<number> {
    return this.deps.redis.zcard(SD_KEYS.frozenOrder);
  }

  override run(): void {
    if (!this.deps.start) return;
    super.run();
  }

  private async read(jobs: string[]): Promise<Array<FrozenBuild & { frozenAt: string }>> {
    if (jobs.length === 0) return [];
    const pipeline = this.deps.redis.pipeline();
    for (const job of jobs) pipeline.hmget(SD_KEYS.frozenBase + job, 'b', 'u', 'r', 'e', 'at');
    const replies = (await pipeline.exec()) ?? [];
    const found: Array<FrozenBuild & { frozenAt: string }> = [];
    replies.forEach(([err, values], i) => {
      const [b, u, r, e, at] = (values ?? []) as Array<string | null>;
      if (err || !b || !u || !e) return;
      const event = JSON.parse(e) as FrozenEvent;
      found.push({
        buildId: Number(b),
        jobId: Number(jobs[i]),
        pipelineId: event.pipelineId,
        frozenUntil: new Date(Number(u)).toISOString(),
        reason: r ?? '',
        frozenAt: new Date(Number(at)).toISOString(),
      });
    });
    return found;
  }

  protected async fireDue(): Promise<void> {
    const claimMs = this.deps.claimMs ?? 60_000;
    const reply = await this.scripts['claim-due'](SD_KEYS.frozenDue, SD_KEYS.frozenBase, BATCH, claimMs, 'b', 'e', 'n');
    // Side by side: each start must end well within its claim, however many were due at once.
    await Promise.all(
      claimed(reply, 3).entries.map(({ id, values }) =>
        this.fire(Number(id), Number(values[0]), JSON.parse(values[1]!) as FrozenEvent, Number(values[2]) || 0).catch(
          (err: unknown) =>
            // Still claimed: started again once the claim runs out.
            this.deps.log.warn({ err, jobId: Number(id) }, 'frozen builds: could not act on a due build; trying again later'),
        ),
      ),
    );
  }

  private async fire(jobId: number, buildId: number, event: FrozenEvent, failures: number): Promise<void> {
    const { log } = this.deps;
    const scope = { buildId, jobId, pipelineId: event.pipelineId };
    if (event.jobState === 'DISABLED' || event.jobArchived === true) {
      log.warn(scope, `frozen build ${buildId}: job ${event.jobName} is disabled or archived; not started`);
      await this.forgetJob(jobId, buildId);
      return;
    }
    // A newer build of the job froze after the claim: that one starts when its own window ends.
    if ((await this.deps.redis.hget(SD_KEYS.frozenBase + jobId, 'b')) !== String(buildId)) return;
    let outcome: AdminEventOutcome;
    try {
      outcome = await this.deps.start!(event);
    } catch (err) {
      outcome = { kind: 'retry', why: (err as Error).message };
    }
    if (outcome.kind === 'retry') {
      const delay = Math.min((this.deps.retryMs ?? 5000) * 2 ** Math.min(failures, 16), MAX_RETRY_MS);
      log.warn({ ...scope, why: outcome.why, delayMs: delay }, `frozen build ${buildId}: could not start it yet; trying again`);
      await this.scripts['frozen-retry'](SD_KEYS.frozenDue, SD_KEYS.frozenBase + jobId, jobId, buildId, delay);
      return;
    }
    await this.forgetJob(jobId, buildId);
    if (outcome.kind === 'given-up')
      log.error({ ...scope, why: outcome.why }, `frozen build ${buildId}: not started: ${outcome.why}`);
    else log.info({ ...scope, eventId: outcome.eventId }, `frozen build ${buildId}: its freeze window ended; job started again`);
  }
}
