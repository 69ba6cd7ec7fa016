import type { BuildStatus, PendingBuildList, WaitingBuildList } from '@buildcluster/protocol';
import { getQuery } from './get-query';

export const buildKeys = {
  all: ['builds'] as const,
  detail: (buildId: number) => [...buildKeys.all, 'detail', buildId] as const,
  pending: () => [...buildKeys.all, 'pending'] as const,
  /** Under `pending`: the live socket's pending invalidation refreshes it too. */
  waiting: () => [...buildKeys.pending(), 'waiting'] as const,
};

/** GET /v4/builds/{buildId}: state, cluster, position in the queue, attempts and history. */
export const buildQuery = (buildId: number) =>
  getQuery<BuildStatus>(buildKeys.detail(buildId), `/v4/builds/${buildId}`, { retry: false });

/** How many pending builds the table shows; `total` tells how many there are in all. */
export const PENDING_BUILDS_SHOWN = 100;

/**
 * GET /v4/builds/pending: builds no eligible cluster could take yet, oldest first, with why.
 * The live socket invalidates it when a build changes state or the pending count moves.
 */
export const pendingBuildsQuery = () =>
  getQuery<PendingBuildList>(buildKeys.pending(), `/v4/builds/pending?limit=${PENDING_BUILDS_SHOWN}`);

/** How many waiting builds the table shows; `total` tells how many there are in all. */
export const WAITING_BUILDS_SHOWN = 100;

/** GET /v4/builds/waiting: pending, blocked and frozen builds, oldest first, with why. */
export const waitingBuildsQuery = () =>
  getQuery<WaitingBuildList>(buildKeys.waiting(), `/v4/builds/waiting?limit=${WAITING_BUILDS_SHOWN}`);
