import type { BuildState, JobType } from '@buildcluster/protocol';
import type { RedisClient } from '../../redis/client.js';
import { buildKey, type QueueKeys } from './keys.js';

/**
 * A build's record in its queue, the hash `q:{Q}:b:<id>` the Lua scripts keep (their fields are
 * listed at the head of lua/_lib.lua). This module alone knows the field names: the rest of the
 * broker reads a record through the types and reads below.
 */
export interface BuildRecord {
  /** The start job's state; null while the record has none. */
  state: BuildState | null;
  /** The cluster it was queued for, as the queue was told. */
  cluster: string | null;
  /** When it was appended (ms, Redis clock). */
  enqueuedAt: number | null;
  /** Deliveries of the start so far. */
  attempt: number | null;
  /** The worker of the start's current (or last) lease. */
  leasedBy: string | null;
  /** When the start's last lease began. */
  leasedAt: number | null;
  /** The deadline of the start's current lease. */
  leaseExpiresAt: number | null;
  /** When the start was acked. */
  ackedAt: number | null;
}

/** The start's last run, as the record tells it. */
export type LastRun = Pick<BuildRecord, 'leasedAt' | 'ackedAt' | 'leasedBy'>;

/** What the record keeps of a job that went to the dead letters. */
export interface DeathRecord {
  attempts: number;
  reason: string;
  diedMs: number;
  enqueuedMs: number;
}

/** A job's field: its type's letter (`s` start, `x` stop) before the name. */
const jobField = (type: JobType, name: 'st' | 'at' | 'w' | 'lt' | 'ex' | 'dr' | 'dt'): string =>
  `${type === 'stop' ? 'x' : 's'}${name}`;
const ENQUEUED = 'eq';
const CLUSTER = 'cl';
const ACKED = 'ak';

/** A field absent or empty reads as null. */
const text = (value: string | null | undefined): string | null => (value == null || value === '' ? null : value);
const ms = (value: string | null | undefined): number | null => (value == null || value === '' ? null : Number(value));

/** A record as a script read it whole (HGETALL). */
export function decodeBuildRecord(fields: Record<string, string>): BuildRecord {
  const start = (name: Parameters<typeof jobField>[1]) => fields[jobField('start', name)];
  return {
    state: text(start('st')) as BuildState | null,
    cluster: text(fields[CLUSTER]),
    enqueuedAt: ms(fields[ENQUEUED]),
    attempt: ms(start('at')),
    leasedBy: text(start('w')),
    leasedAt: ms(start('lt')),
    leaseExpiresAt: ms(start('ex')),
    ackedAt: ms(fields[ACKED]),
  };
}

/** `<buildId>:<s|x>:<epoch>`: the build and job type of a lease id (lua/_lib.lua `parse_lease`), or null. */
export function leaseJob(leaseId: string): { buildId: number; type: JobType } | null {
  const m = /^(\d+):([sx]):\d+$/.exec(leaseId);
  return m ? { buildId: Number(m[1]), type: m[2] === 'x' ? 'stop' : 'start' } : null;
}

/** Reads of a few fields of many records of a queue, one pipeline each. */
export class BuildRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly keysOf: (queue: string) => QueueKeys,
  ) {}

  /** When each listed lease began (ms, Redis clock), read from its build's record; null where the record is gone. */
  async leaseStarts(queue: string, leases: Array<{ buildId: number; type: JobType }>): Promise<Array<number | null>> {
    const rows = await this.read(
      queue,
      leases.map((l) => ({ buildId: l.buildId, fields: [jobField(l.type, 'lt')] })),
    );
    return rows.map(([started]) => ms(started));
  }

  /** The start's last lease of each build: when it began, when the build was acked, and by which worker. */
  async lastRuns(queue: string, buildIds: number[]): Promise<LastRun[]> {
    const fields = [jobField('start', 'lt'), ACKED, jobField('start', 'w')];
    const rows = await this.read(
      queue,
      buildIds.map((buildId) => ({ buildId, fields })),
    );
    return rows.map(([leasedAt, ackedAt, leasedBy]) => ({
      leasedAt: ms(leasedAt),
      ackedAt: ms(ackedAt),
      leasedBy: text(leasedBy),
    }));
  }

  /** The workers the jobs of these lease ids were last handed to (lease ids of no job are passed over). */
  async workersOf(queue: string, leaseIds: string[]): Promise<string[]> {
    const jobs = leaseIds.map(leaseJob).filter((j) => j !== null);
    const rows = await this.read(
      queue,
      jobs.map((j) => ({ buildId: j.buildId, fields: [jobField(j.type, 'w')] })),
    );
    return rows.map(([worker]) => worker ?? '');
  }

  /** What each dead job's record says of its death; null where none is recorded (the record expired). */
  async deaths(queue: string, jobs: Array<{ buildId: number; type: JobType }>): Promise<Array<DeathRecord | null>> {
    const rows = await this.read(
      queue,
      jobs.map((j) => ({
        buildId: j.buildId,
        fields: [jobField(j.type, 'at'), jobField(j.type, 'dr'), jobField(j.type, 'dt'), ENQUEUED],
      })),
    );
    return rows.map(([attempts, reason, died, enqueued]) =>
      died == null
        ? null
        : { attempts: Number(attempts ?? 0), reason: reason ?? '', diedMs: Number(died), enqueuedMs: Number(enqueued ?? 0) },
    );
  }

  /** One HMGET per record, in one pipeline (one slot: the queue's); a failed read gives nulls. */
  private async read(queue: string, wanted: Array<{ buildId: number; fields: string[] }>): Promise<Array<Array<string | null>>> {
    if (wanted.length === 0) return [];
    const k = this.keysOf(queue);
    const pipeline = this.redis.pipeline();
    for (const w of wanted) pipeline.hmget(buildKey(k, w.buildId), ...w.fields);
    const replies = (await pipeline.exec()) ?? [];
    return wanted.map((_, i) => (replies[i]?.[1] as Array<string | null> | undefined) ?? []);
  }
}
