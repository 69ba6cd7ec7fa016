import type { RedisClient } from '../redis/client.js';
import { scriptDir } from '../redis/script-dir.js';

/**
 * Screwdriver's blockedBy and collapse rules (what the queue-service's BlockedBy plugin does with
 * locks and a re-check every minute), decided in Redis in one script per decision: a build of a
 * job in another build's `blockedBy` keeps that build waiting while it runs, from the moment it
 * is let go until Screwdriver stops it (it finished, was aborted, or never started). The moment
 * it stops, the builds it held start, in arrival order, in the same step. Two builds that block
 * each other can never both start, whatever the number of replicas.
 *
 * A build let go is journalled until it is in its cluster's queue, so a broker dying in between
 * leaves it to another (`unqueued`).
 */
export type Verdict = 'go' | 'blocked' | 'collapsed';

export interface Decision {
  verdict: Verdict;
  /** The running builds that hold this one (blocked), or the newer build it gave way to (collapsed). */
  blocking: number[];
  /** Older waiting builds of the job that gave way to this one. */
  collapsed: number[];
}

/** A build waiting on the rules: its job, since when it waits, and the running builds (and their jobs) that hold it. */
export interface WaitingRule {
  buildId: number;
  jobId: number;
  pipelineId: number | null;
  since: number;
  blocking: Array<{ buildId: number; jobId: number }>;
}

const pipelineOf = (message: string | null | undefined): number | null => {
  try {
    const id = (JSON.parse(message ?? 'null') as { pipelineId?: unknown } | null)?.pipelineId;
    return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
  } catch {
    return null;
  }
};

export interface Released {
  buildId: number;
  message: string;
}

type Name = 'rules-admit' | 'rules-settle' | 'rules-queued';
const BASE = 'rules:{rules}:';
const SEQUENCE = 'rules:{rules}:seq';
/** The queue-service's default for `screwdriver.cd/blockedBySameJobWaitTime`, in minutes. */
const SAME_JOB_WAIT_MINUTES = 5;
/**
 * How long a build holds its job at most, as the queue-service's running key lives: the build's
 * `screwdriver.cd/timeout` plus 30 minutes, else 120 minutes. Screwdriver stops every build it
 * ends, so this only matters when that stop was lost.
 */
const holdMinutes = (timeout: unknown): number => {
  const minutes = Number.parseInt(typeof timeout === 'number' || typeof timeout === 'string' ? String(timeout) : '', 10);
  return Number.isFinite(minutes) && minutes > 0 ? minutes + 30 : 120;
};

const truthy = (value: unknown, fallback: boolean): boolean => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return !['false', 'no', 'off', '0'].includes(value.trim().toLowerCase());
  return fallback;
};

/** The rules a start message asks for; null when it names no job and no blockedBy (then no rule applies). */
export function rulesOf(
  message: Record<string, unknown>,
  collapseDefault: boolean,
): { jobId: number; blockedBy: number[]; sameJob: boolean; waitMs: number; collapse: boolean; holdMs: number } | null {
  const jobId = message.jobId;
  const blockedBy = Array.isArray(message.blockedBy) ? message.blockedBy.filter((j): j is number => Number.isSafeInteger(j)) : [];
  if (typeof jobId !== 'number' || !Number.isSafeInteger(jobId) || blockedBy.length === 0) return null;
  const annotations = (
    typeof message.annotations === 'object' && message.annotations !== null ? message.annotations : {}
  ) as Record<string, unknown>;
  const wait = Number(annotations['screwdriver.cd/blockedBySameJobWaitTime']);
  return {
    jobId,
    blockedBy,
    sameJob: truthy(annotations['screwdriver.cd/blockedBySameJob'], true),
    waitMs: (Number.isFinite(wait) && wait >= 0 ? wait : SAME_JOB_WAIT_MINUTES) * 60_000,
    collapse: truthy(annotations['screwdriver.cd/collapseBuilds'], collapseDefault),
    holdMs: holdMinutes(annotations['screwdriver.cd/timeout']) * 60_000,
  };
}

export class BuildRules {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly collapseDefault: boolean,
  ) {
    this.scripts = scriptDir<Name>(redis, new URL('./lua/', import.meta.url));
  }

  /** The decision for a new start message, or null when no rule applies to it. */
  async admit(message: Record<string, unknown>): Promise<Decision | null> {
    const rules = rulesOf(message, this.collapseDefault);
    if (!rules) return null;
    const reply = (await this.scripts['rules-admit'](
      BASE,
      SEQUENCE,
      Number(message.buildId),
      rules.jobId,
      rules.blockedBy.join(','),
      rules.sameJob ? 1 : 0,
      rules.waitMs,
      rules.collapse ? 1 : 0,
      JSON.stringify(message),
      rules.holdMs,
    )) as [Verdict, number[], number[]];
    return { verdict: reply[0], blocking: reply[1].map(Number), collapsed: reply[2].map(Number) };
  }

  /** Screwdriver stopped the build: what it was for the rules, and the builds that start now. */
  async settle(buildId: number): Promise<{ was: 'running' | 'waiting' | 'none'; released: Released[] }> {
    const [was, flat] = (await this.scripts['rules-settle'](BASE, buildId)) as [
      'running' | 'waiting' | 'none',
      Array<string | number>,
    ];
    const released: Released[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) released.push({ buildId: Number(flat[i]), message: String(flat[i + 1]) });
    return { was, released };
  }

  /** The build let go is in its cluster's queue (or was refused there): out of the journal. */
  async queued(buildId: number): Promise<void> {
    await this.scripts['rules-queued'](BASE, buildId);
  }

  /** Builds let go more than `olderThanMs` ago and not yet queued: a broker died in between. */
  async unqueued(olderThanMs: number): Promise<Released[]> {
    const ids = await this.redis.zrangebyscore(`${BASE}admitting`, '-inf', Date.now() - olderThanMs, 'LIMIT', 0, 100);
    if (ids.length === 0) return [];
    const messages = await this.redis.hmget(`${BASE}am`, ...ids);
    return ids.flatMap((id, i) => (messages[i] ? [{ buildId: Number(id), message: messages[i] }] : []));
  }

  /** Running builds that held their job past their hold time: Screwdriver's stop for them was lost. */
  async overdue(): Promise<number[]> {
    const [until, running] = await Promise.all([this.redis.hgetall(`${BASE}until`), this.redis.hgetall(`${BASE}running`)]);
    const now = Date.now();
    return Object.entries(until).flatMap(([job, at]) => (Number(at) < now && running[job] ? [Number(running[job])] : []));
  }

  /** A waiting build: since when, its job, and the running builds that hold it; null when it is not waiting. */
  async waiting(buildId: number): Promise<WaitingRule | null> {
    return (await this.describe([String(buildId)]))[0] ?? null;
  }

  /** The `limit` builds that waited longest on the rules, oldest first, and how many wait in all. */
  async waitingList(limit: number): Promise<{ builds: WaitingRule[]; total: number }> {
    const [ids, total] = await Promise.all([
      this.redis.zrange(`${BASE}waiting`, '0', String(limit - 1)),
      this.redis.zcard(`${BASE}waiting`),
    ]);
    return { builds: await this.describe(ids), total };
  }

  private async describe(ids: string[]): Promise<WaitingRule[]> {
    if (ids.length === 0) return [];
    const read = this.redis.pipeline();
    for (const id of ids) read.hmget(`${BASE}w:${id}`, 'job', 'by', 'sj', 'wt', 'at', 'm');
    read.hgetall(`${BASE}running`).hgetall(`${BASE}since`);
    const replies = ((await read.exec()) ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const running = replies[ids.length] as Record<string, string>;
    const since = replies[ids.length + 1] as Record<string, string>;
    const now = Date.now();
    return ids.flatMap((id, i): WaitingRule[] => {
      const [job, by, sj, wt, at, message] = replies[i] as Array<string | null>;
      // Let go or stopped between the two reads: no longer waiting.
      if (!job) return [];
      const blocking = (by ?? '')
        .split(',')
        .filter((j) => running[j] && running[j] !== id)
        // blockedBySameJob off: its own job's running build stops holding it after the wait time.
        .filter((j) => !(j === job && sj === '0' && now - Number(since[j] ?? 0) >= Number(wt)))
        .map((j) => ({ buildId: Number(running[j]), jobId: Number(j) }));
      return [{ buildId: Number(id), jobId: Number(job), since: Number(at), pipelineId: pipelineOf(message), blocking }];
    });
  }

  /** How many builds wait on the rules (for /metrics). */
  async waitingCount(): Promise<number> {
    return this.redis.zcard(`${BASE}waiting`);
  }
}

/** Screwdriver's status message of a blocked build (the UI links each blocking build). */
export const blockedMessage = (blocking: number[]): string =>
  `Blocked by these running build(s): ${blocking.map((id) => `<a href="/builds/${id}">${id}</a>`).join(', ')}`;
