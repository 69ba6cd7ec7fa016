import type { BuildStatus, QueueStats } from '@buildcluster/protocol';
import type { BuildRecord } from './storage/build-record.js';
import type { LeasedJob, RawBuild, RawQueueStats } from './storage/replies.js';

/** Turning what the scripts return into the protocol's shapes. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The poll answer as JSON text, built around each stored message without parsing it: the message
 * was validated when it was queued, and re-encoding it per delivery is the costliest thing a poll
 * could do. `messages` replaces the message of the job at an index (a start with its launcher token).
 */
export function renderJobs(jobs: LeasedJob[], maxAttempts: number, messages?: ReadonlyMap<number, string>): string {
  let out = '{"jobs":[';
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i]!;
    const message = j.message || '{}';
    out +=
      `${i === 0 ? '' : ','}{"leaseId":${JSON.stringify(j.leaseId)},"buildId":${j.buildId},"type":"${j.type}",` +
      `"attempt":${j.attempt},"maxAttempts":${maxAttempts},"enqueuedAt":"${iso(j.enqueuedMs)}","leaseExpiresAt":"${iso(j.leaseExpiresMs)}",` +
      `"message":${(j.type === 'start' && messages?.get(i)) || message}}`;
  }
  return `${out}]}`;
}

export function toQueueStats(cluster: string, queue: string, raw: RawQueueStats): QueueStats {
  return {
    cluster,
    queue,
    depth: raw.depth,
    inFlight: raw.inFlight,
    oldestQueuedAgeMs: raw.oldestQueuedMs === null ? null : Math.max(0, raw.now - raw.oldestQueuedMs),
    dead: raw.dead,
    deliveredWatermark: raw.deliveredWatermark,
    ackedWatermark: raw.ackedWatermark,
    workersLastMinute: raw.workersLastMinute,
    enqueuedTotal: raw.enqueuedTotal,
    ackedTotal: raw.ackedTotal,
  };
}

/**
 * The history of a plain build (acked at its first attempt, never stopped), whose history list
 * was dropped when it settled: its record holds all of it.
 */
function plainHistory(r: BuildRecord): RawBuild['history'] {
  if (r.state !== 'acked' || r.enqueuedAt === null || r.ackedAt === null) return [];
  return [
    { at: r.enqueuedAt, state: 'queued', detail: r.cluster ?? '' },
    { at: r.leasedAt ?? r.enqueuedAt, state: 'leased', detail: `${r.leasedBy ?? ''} attempt ${r.attempt ?? 1}` },
    { at: r.ackedAt, state: 'acked', detail: '' },
  ];
}

/** GET /v4/builds/{id} for a build in a queue. */
export function toBuildStatus(buildId: number, queue: string, raw: RawBuild): BuildStatus {
  const r = raw.record;
  const state = r.state ?? 'queued';
  const status: BuildStatus = {
    buildId,
    state,
    cluster: r.cluster || null,
    queue,
    enqueuedAt: iso(r.enqueuedAt ?? raw.now),
    attempts: r.attempt ?? 0,
    history: (raw.history.length > 0 ? raw.history : plainHistory(r)).map((h) => ({
      at: iso(h.at),
      state: h.state,
      ...(h.detail ? { detail: h.detail } : {}),
    })),
  };
  if (state === 'queued' && raw.position !== null) status.position = raw.position;
  if (state === 'leased') {
    if (r.leasedBy) status.leasedBy = r.leasedBy;
    if (r.leaseExpiresAt !== null) status.leaseExpiresAt = iso(r.leaseExpiresAt);
  }
  if (r.ackedAt !== null) status.ackedAt = iso(r.ackedAt);
  return status;
}
