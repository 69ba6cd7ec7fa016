import type { BuildState, JobType } from '@buildcluster/protocol';
import type { BuildRecord } from './build-record.js';

/** What the queue scripts answer, typed, and the parsers from their flat Redis replies. */
export interface LeasedJob {
  leaseId: string;
  buildId: number;
  type: JobType;
  attempt: number;
  enqueuedMs: number;
  leaseExpiresMs: number;
  /** The message JSON exactly as queued (never re-parsed on the hot path). */
  message: string;
}

export interface JobEvent {
  buildId: number;
  type: JobType;
  /** 'settled': neither job of the build can change any more; its keys expire after the retention. */
  state: BuildState | 'settled';
  detail: string;
}

export interface PollOutcome {
  now: number;
  nextDeadline: number | null;
  depth: number;
  expired: number;
  replayed: boolean;
  jobs: LeasedJob[];
  events: JobEvent[];
}

/** What a reap answers: leases ended, jobs back in the queue, and when the next lease ends. */
export interface ReapOutcome {
  now: number;
  nextDeadline: number | null;
  expired: number;
  requeued: number;
  events: JobEvent[];
  depth: number;
}

export interface Rejected {
  leaseId: string;
  reason: string;
}

export interface RawQueueStats {
  depth: number;
  inFlight: number;
  dead: number;
  oldestQueuedMs: number | null;
  deliveredWatermark: string;
  ackedWatermark: string;
  workersLastMinute: number;
  enqueuedTotal: number;
  ackedTotal: number;
  now: number;
}

export interface RawBuild {
  /** The build's record in its queue. */
  record: BuildRecord;
  /** The same record as stored, field by field: for this folder's tests only (read `record`). */
  fields: Record<string, string>;
  history: Array<{ at: number; state: string; detail: string }>;
  position: number | null;
  now: number;
}

export interface RawLease {
  leaseId: string;
  buildId: number;
  type: JobType;
  workerId: string;
  attempt: number;
  leaseExpiresMs: number;
}

export interface RawQueued {
  buildId: number;
  type: JobType;
  position: number;
  attempt: number;
  enqueuedMs: number;
}

export interface RawDead {
  buildId: number;
  type: JobType;
  attempts: number;
  reason: string;
  diedMs: number;
  enqueuedMs: number;
}

export const jobType = (t: string): JobType => (t === 'x' ? 'stop' : 'start');
export const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : '';
export const num = (v: unknown): number => Number(v ?? 0);
/** A reply (or a cell of one) that is a list; anything else reads as an empty one. */
export const list = (reply: unknown): unknown[] => (Array.isArray(reply) ? (reply as unknown[]) : []);

/**
 * A flat script reply read as rows of `width` cells, each made into one value by `make` (a last row
 * with too few cells is dropped): every list a queue script answers is laid out this way.
 */
export function rows<T>(list: unknown, width: number, make: (cells: unknown[]) => T): T[] {
  const items = list as unknown[];
  const out: T[] = [];
  for (let i = 0; i + width <= items.length; i += width) out.push(make(items.slice(i, i + width)));
  return out;
}

/** The cells a lease starts with in every reply that lists leases: lease id, build id, job type. */
const leaseOf = (leaseId: unknown, buildId: unknown, type: unknown) => ({
  leaseId: str(leaseId),
  buildId: num(buildId),
  type: jobType(str(type)),
});

export const pairs = (list: unknown): Rejected[] =>
  rows(list, 2, ([leaseId, reason]) => ({ leaseId: str(leaseId), reason: str(reason) }));

export const events = (list: unknown): JobEvent[] =>
  rows(list, 4, ([b, t, state, detail]) => ({
    buildId: num(b),
    type: jobType(str(t)),
    state: str(state) as BuildState | 'settled',
    detail: str(detail),
  }));

/** A poll's jobs: lease id, build, type, attempt, enqueued at, lease deadline, message. */
export const jobs = (list: unknown): LeasedJob[] =>
  rows(list, 7, ([leaseId, b, t, attempt, enqueued, expires, message]) => ({
    ...leaseOf(leaseId, b, t),
    attempt: num(attempt),
    enqueuedMs: num(enqueued),
    leaseExpiresMs: num(expires),
    message: str(message),
  }));

/** The leases held (detail-4): lease id, build, type, worker, attempt, lease deadline. */
export const leases = (list: unknown): RawLease[] =>
  rows(list, 6, ([leaseId, b, t, worker, attempt, expires]) => ({
    ...leaseOf(leaseId, b, t),
    workerId: str(worker),
    attempt: num(attempt),
    leaseExpiresMs: num(expires),
  }));

/** The next queued jobs (detail-4): build, type, position, attempt, enqueued at. */
export const queued = (list: unknown): RawQueued[] =>
  rows(list, 5, ([b, t, position, attempt, enqueued]) => ({
    buildId: num(b),
    type: jobType(str(t)),
    position: num(position),
    attempt: num(attempt),
    enqueuedMs: num(enqueued),
  }));

/** A time (ms) that a script answers as -1 when there is none. */
const maybe = (v: unknown): number | null => {
  const n = num(v);
  return n < 0 ? null : n;
};

/** poll-8: now, next lease deadline, depth, expired, replayed, {jobs}, {events}. */
export function pollOutcome(r: unknown[]): PollOutcome {
  const [now, next, depth, expired, replayed, list, changes] = r;
  return {
    now: num(now),
    nextDeadline: maybe(next),
    depth: num(depth),
    expired: num(expired),
    replayed: replayed === 1,
    jobs: jobs(list),
    events: events(changes),
  };
}

/** reap-6: now, next lease deadline, expired, requeued, {events}, depth. */
export function reapOutcome(r: unknown[]): ReapOutcome {
  const [now, next, expired, requeued, changes, depth] = r;
  return {
    now: num(now),
    nextDeadline: maybe(next),
    expired: num(expired),
    requeued: num(requeued),
    events: events(changes),
    depth: num(depth),
  };
}

/** stats-6, in the order of RawQueueStats (the oldest queued entry's time -1 when none). */
export function queueStats(r: unknown[]): RawQueueStats {
  const [depth, inFlight, dead, oldest, delivered, acked, workers, enqueuedTotal, ackedTotal, now] = r;
  return {
    depth: num(depth),
    inFlight: num(inFlight),
    dead: num(dead),
    oldestQueuedMs: maybe(oldest),
    deliveredWatermark: str(delivered),
    ackedWatermark: str(acked),
    workersLastMinute: num(workers),
    enqueuedTotal: num(enqueuedTotal),
    ackedTotal: num(ackedTotal),
    now: num(now),
  };
}

/** Leases extended (extend-4): lease id, new deadline. */
export const extended = (list: unknown): Array<{ leaseId: string; leaseExpiresMs: number }> =>
  rows(list, 2, ([leaseId, expires]) => ({ leaseId: str(leaseId), leaseExpiresMs: num(expires) }));

/** A hash as HGETALL answers it in a script (name, value, ...). */
export const hash = (list: unknown): Record<string, string> =>
  Object.fromEntries(rows(list, 2, ([name, value]) => [str(name), str(value)]));

/** A build's history list, each line `ms|state|detail`. */
export const history = (list: unknown): Array<{ at: number; state: string; detail: string }> =>
  (list as unknown[]).map((line) => {
    const text = str(line);
    const a = text.indexOf('|');
    const b = text.indexOf('|', a + 1);
    return { at: Number(text.slice(0, a)), state: text.slice(a + 1, b), detail: text.slice(b + 1) };
  });
