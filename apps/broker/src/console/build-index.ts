import { execBySlot, type SlotGroup } from '../redis/batch.js';
import type { RedisClient } from '../redis/client.js';
import { WriteBatch } from '../redis/write-batch.js';
import type { BuildStatus, BuildSummary, StartMessage, TimelineEntry } from '@buildcluster/protocol';
import type { LeasedJob } from '../queue/storage/replies.js';

/**
 * What the broker knew of each build when Screwdriver sent it (pipeline, job, event, cluster), so
 * builds can be found by them after their message left the queue; and each delivery's lease, so a
 * build's timeline names the lease a worker held. Kept as long as settled builds are
 * (BUILD_RETENTION_SECONDS). Written off the request's latency path.
 */
const infoKey = (buildId: number | string) => `console:bi:${buildId}`;
const deliveriesKey = (buildId: number | string) => `console:bd:${buildId}`;
const RECENT = 'console:bi:recent';
export const indexKey = (field: 'p' | 'pn' | 'j' | 'jn' | 'e' | 'c', value: string | number) =>
  `console:bi:${field}:${String(value).slice(0, 500)}`;

export interface BuildInfo {
  pipelineId: number | null;
  pipelineName: string | null;
  jobId: number | null;
  jobName: string | null;
  eventId: number | null;
  cluster: string | null;
}

/** Shared index keys are trimmed, and their TTL refreshed, this often per replica. */
const HOUSEKEEPING_MS = 30_000;

export class BuildIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keepMs: number,
    private readonly batch = new WriteBatch(redis),
  ) {}

  /** A build Screwdriver sent, and where it went. */
  note(message: StartMessage, cluster: string | null, nowMs = Date.now()): Promise<unknown> {
    const pipelineId = message.pipeline.id ?? message.pipelineId ?? null;
    const fields: Record<string, string> = { pn: message.pipeline.name, at: String(nowMs) };
    if (pipelineId != null) fields.p = String(pipelineId);
    if (message.jobId != null) fields.j = String(message.jobId);
    if (message.jobName) fields.jn = message.jobName;
    if (message.eventId != null) fields.e = String(message.eventId);
    if (cluster) fields.c = cluster;
    const id = message.buildId;
    this.batch.hset(infoKey(id), fields).pexpire(infoKey(id), this.keepMs);
    const indexed: string[] = [RECENT, indexKey('pn', message.pipeline.name)];
    if (pipelineId != null) indexed.push(indexKey('p', pipelineId));
    if (message.jobId != null) indexed.push(indexKey('j', message.jobId));
    if (message.jobName) indexed.push(indexKey('jn', message.jobName));
    if (message.eventId != null) indexed.push(indexKey('e', message.eventId));
    if (cluster) indexed.push(indexKey('c', cluster));
    for (const key of indexed) {
      this.batch.zadd(key, nowMs, String(id));
      // A key outlives its newest member by keepMs, whichever write refreshed it last.
      if (this.batch.due(key, nowMs, HOUSEKEEPING_MS))
        this.batch.trimBelow(key, nowMs - this.keepMs).pexpire(key, this.keepMs + HOUSEKEEPING_MS);
    }
    return this.batch.flush();
  }

  /** Leases handed out (first deliveries and redeliveries alike). */
  delivered(workerId: string, jobs: LeasedJob[], nowMs: number): Promise<unknown> {
    for (const job of jobs) {
      if (job.type !== 'start') continue;
      const value = JSON.stringify({ l: job.leaseId, w: workerId, at: nowMs, ex: job.leaseExpiresMs });
      const key = deliveriesKey(job.buildId);
      this.batch.hset(key, { [String(job.attempt)]: value }).pexpire(key, this.keepMs);
    }
    return this.batch.flush();
  }

  /** Build ids matching every given index (newest first), at most `limit`. */
  async find(
    criteria: Array<{ field: 'p' | 'pn' | 'j' | 'jn' | 'e' | 'c'; value: string | number }>,
    limit: number,
  ): Promise<number[]> {
    const lists = await Promise.all(
      (criteria.length > 0 ? criteria.map((c) => indexKey(c.field, c.value)) : [RECENT]).map((key) =>
        this.redis.zrevrange(key, 0, limit - 1),
      ),
    );
    let ids = lists[0] ?? [];
    for (const other of lists.slice(1)) {
      const set = new Set(other);
      ids = ids.filter((id) => set.has(id));
    }
    return ids.map(Number);
  }

  async info(buildIds: number[]): Promise<Map<number, BuildInfo & { deliveries: Map<number, Delivery> }>> {
    const groups = buildIds.flatMap((id): SlotGroup[] => [(p) => p.hgetall(infoKey(id)), (p) => p.hgetall(deliveriesKey(id))]);
    const replies = (await execBySlot(this.redis, groups)).map(([, r]) => (r ?? {}) as Record<string, string>);
    const out = new Map<number, BuildInfo & { deliveries: Map<number, Delivery> }>();
    buildIds.forEach((id, i) => {
      const f = replies[i * 2] ?? {};
      const d = replies[i * 2 + 1] ?? {};
      const deliveries = new Map<number, Delivery>();
      for (const [attempt, json] of Object.entries(d)) {
        try {
          deliveries.set(Number(attempt), JSON.parse(json) as Delivery);
        } catch {
          // not ours: leave it out
        }
      }
      out.set(id, {
        pipelineId: f.p ? Number(f.p) : null,
        pipelineName: f.pn ?? null,
        jobId: f.j ? Number(f.j) : null,
        jobName: f.jn ?? null,
        eventId: f.e ? Number(f.e) : null,
        cluster: f.c ?? null,
        deliveries,
      });
    });
    return out;
  }
}

interface Delivery {
  l: string;
  w: string;
  at: number;
  ex: number;
}

/** The build's history as an operator reads it: deliveries with worker and lease, nacks with reasons. */
export function timelineOf(status: BuildStatus, deliveries: Map<number, Delivery>): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  let queuedOnce = false;
  for (const h of status.history ?? []) {
    const detail = h.detail ?? '';
    if (h.state === 'leased') {
      const m = /^(.*) attempt (\d+)$/.exec(detail);
      const attempt = m ? Number(m[2]) : undefined;
      const d = attempt !== undefined ? deliveries.get(attempt) : undefined;
      out.push({
        at: h.at,
        kind: 'delivered',
        detail,
        ...(m ? { workerId: m[1]!, attempt: attempt! } : {}),
        ...(d ? { leaseId: d.l, leaseExpiresAt: new Date(d.ex).toISOString() } : {}),
      });
      continue;
    }
    if (h.state === 'queued') {
      const kind = !queuedOnce
        ? 'queued'
        : detail.startsWith('nacked')
          ? 'nacked'
          : detail === 'lease expired'
            ? 'expired'
            : 'requeued';
      queuedOnce = true;
      out.push({ at: h.at, kind, detail });
      continue;
    }
    if (h.state.startsWith('stop')) {
      out.push({ at: h.at, kind: 'stop', detail: `${h.state}${detail ? `: ${detail}` : ''}` });
      continue;
    }
    out.push({ at: h.at, kind: h.state, detail });
  }
  if (out.length === 0) {
    out.push({ at: status.enqueuedAt, kind: status.state, detail: status.pendingReason ?? '' });
  }
  return out;
}

export function summaryOf(
  status: BuildStatus,
  info: BuildInfo & { deliveries: Map<number, Delivery> },
  uiBase: string | null,
): BuildSummary {
  return {
    buildId: status.buildId,
    state: status.state,
    cluster: status.cluster ?? info.cluster,
    pipelineId: info.pipelineId,
    pipelineName: info.pipelineName,
    jobId: info.jobId,
    jobName: info.jobName,
    eventId: info.eventId,
    queuedAt: status.enqueuedAt,
    attempts: status.attempts,
    uiUrl: uiBase && info.pipelineId ? `${uiBase}/pipelines/${info.pipelineId}/builds/${status.buildId}` : null,
    timeline: timelineOf(status, info.deliveries),
  };
}
