import type { PendingBuildList, WaitingBuild, WaitingBuildList, WaitingFrozen, WaitingKind } from '@buildcluster/protocol';
import type { WaitingRule } from '../../screwdriver/rules.js';

/**
 * Where waiting builds come from: one source per kind of wait. Each lists its `limit` oldest
 * builds, oldest first, and counts them all; `waitingBuilds` merges them. A new kind of wait is
 * one more source in the list the route passes.
 */
export interface WaitingSource {
  kind: WaitingKind;
  list(limit: number): Promise<{ builds: Listed[]; total: number }>;
}

/** A build and the time it started waiting (ms; Infinity when unknown, listed last). */
export interface Listed {
  at: number;
  build: WaitingBuild;
}

/** A source over a store that lists its `limit` oldest entries and their total: each entry becomes a listed build. */
function sourceOf<T>(
  kind: WaitingKind,
  fetch: (limit: number) => Promise<{ builds: T[]; total: number }>,
  toListed: (entry: T) => Listed,
): WaitingSource {
  return {
    kind,
    async list(limit) {
      const { builds, total } = await fetch(limit);
      return { total, builds: builds.map(toListed) };
    },
  };
}

/** Builds no eligible cluster could take yet (the scheduler's pending list). */
export const pendingSource = (scheduler: { pending(limit: number): Promise<PendingBuildList> }): WaitingSource =>
  sourceOf(
    'pending',
    (limit) => scheduler.pending(limit),
    (b) => ({
      at: Date.parse(b.pendingSince),
      build: {
        kind: 'pending',
        buildId: b.buildId,
        since: b.pendingSince,
        reason: b.reason,
        jobId: b.jobId,
        pipelineId: b.pipelineId,
        pipeline: b.pipeline,
        scmContext: b.scmContext,
        requestedCluster: b.requestedCluster,
      },
    }),
  );

/** The words for a blocked build's wait (also GET /v4/builds/{id}'s pendingReason). */
export const blockedReason = (blocking: WaitingRule['blocking']): string =>
  blocking.length > 0
    ? `blocked by running ${blocking.map((b) => `build ${b.buildId} (job ${b.jobId})`).join(', ')}`
    : 'waiting behind an older build of its job, or being released';

/** Builds held by Screwdriver's blockedBy rule. */
export const blockedSource = (rules: {
  waitingList(limit: number): Promise<{ builds: WaitingRule[]; total: number }>;
}): WaitingSource =>
  sourceOf(
    'blocked',
    (limit) => rules.waitingList(limit),
    (w) => ({
      at: w.since,
      build: {
        kind: 'blocked',
        buildId: w.buildId,
        since: new Date(w.since).toISOString(),
        reason: blockedReason(w.blocking),
        jobId: w.jobId,
        pipelineId: w.pipelineId,
        blockedBy: w.blocking,
      },
    }),
  );

/** What a freeze store lists: a frozen build, its job and pipeline, and until when it is held. */
export interface FrozenEntry {
  buildId: number;
  jobId: number;
  pipelineId: number | null;
  frozenUntil: number | string | Date;
  reason: string;
  /** since when it is frozen, when the store records it */
  frozenSince?: number | string | Date;
}

const toMs = (at: number | string | Date): number =>
  at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);

/**
 * Builds held by a freeze window, from a store with `list(limit)` (and `count()` when it can
 * count them all; else what it listed is the total).
 */
export const frozenSource = (store: { list(limit: number): Promise<FrozenEntry[]>; count?(): Promise<number> }): WaitingSource =>
  sourceOf(
    'frozen',
    async (limit) => {
      const [entries, total] = await Promise.all([store.list(limit), store.count?.()]);
      return { builds: entries, total: total ?? entries.length };
    },
    (e) => {
      const since = e.frozenSince === undefined ? null : toMs(e.frozenSince);
      const build: WaitingFrozen = {
        kind: 'frozen',
        buildId: e.buildId,
        since: since === null ? null : new Date(since).toISOString(),
        reason: e.reason,
        jobId: e.jobId,
        pipelineId: e.pipelineId,
        frozenUntil: new Date(toMs(e.frozenUntil)).toISOString(),
      };
      return { at: since ?? Number.POSITIVE_INFINITY, build };
    },
  );

/**
 * One page of every source's waiting builds, oldest first. Each source is asked for its
 * `offset + limit` oldest, which holds every build of the page whatever the mix.
 */
export async function waitingBuilds(
  sources: WaitingSource[],
  query: { kind?: WaitingKind; limit: number; offset: number },
): Promise<WaitingBuildList> {
  const asked = sources.filter((s) => !query.kind || s.kind === query.kind);
  const lists = await Promise.all(asked.map((s) => s.list(query.offset + query.limit)));
  const totals = { pending: 0, blocked: 0, frozen: 0 };
  asked.forEach((s, i) => (totals[s.kind] += lists[i]!.total));
  // Stable: builds of one instant keep their source's order.
  const merged = lists.flatMap((l) => l.builds).sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
  return {
    builds: merged.slice(query.offset, query.offset + query.limit).map((l) => l.build),
    total: totals.pending + totals.blocked + totals.frozen,
    totals,
    offset: query.offset,
    limit: query.limit,
  };
}
