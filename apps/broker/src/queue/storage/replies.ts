import type { BuildState, JobType } from '@buildcluster/protocol';

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

export function pairs(list: unknown): Rejected[] {
  const items = list as unknown[];
  const out: Rejected[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push({ leaseId: str(items[i]), reason: str(items[i + 1]) });
  return out;
}

export function events(list: unknown): JobEvent[] {
  const items = list as unknown[];
  const out: JobEvent[] = [];
  for (let i = 0; i + 3 < items.length; i += 4) {
    out.push({
      buildId: num(items[i]),
      type: jobType(str(items[i + 1])),
      state: str(items[i + 2]) as BuildState | 'settled',
      detail: str(items[i + 3]),
    });
  }
  return out;
}

export function jobs(list: unknown): LeasedJob[] {
  const items = list as unknown[];
  const out: LeasedJob[] = [];
  for (let i = 0; i + 6 < items.length; i += 7) {
    out.push({
      leaseId: str(items[i]),
      buildId: num(items[i + 1]),
      type: jobType(str(items[i + 2])),
      attempt: num(items[i + 3]),
      enqueuedMs: num(items[i + 4]),
      leaseExpiresMs: num(items[i + 5]),
      message: str(items[i + 6]),
    });
  }
  return out;
}
