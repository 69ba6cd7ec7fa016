import {
  BuildIdParams,
  BuildStatus,
  ErrorBody,
  PendingBuildList,
  PendingBuildsQuery,
  WaitingBuildList,
  WaitingBuildsQuery,
} from '@buildcluster/protocol';
import {
  blockedReason,
  blockedSource,
  frozenSource,
  pendingSource,
  waitingBuilds,
  type WaitingSource,
} from './waiting-sources.js';
import { apiErrors, apiSecurity, routePlugin } from '../route-kit.js';

/** The status fields of a build held before any queue (blocked or frozen): no cluster, queue or attempt yet. */
const notQueued = (buildId: number, since: string, pendingReason: string) => ({
  buildId,
  cluster: null,
  queue: null,
  enqueuedAt: since,
  attempts: 0,
  pendingReason,
});

/**
 * Where builds are: the pending ones (no eligible cluster yet) with why; every waiting one
 * (pending, blocked, frozen) with why; one build's state, cluster, attempts, place in the queue,
 * lease and history.
 */
export default routePlugin(
  async (app) => {
    // A static segment: Fastify's router picks it over `:buildId`, whose schema would refuse it.
    app.get(
      '/v4/builds/pending',
      {
        schema: {
          tags: ['scheduling'],
          security: apiSecurity,
          summary: 'Pending builds (no eligible cluster yet), oldest first, with why',
          querystring: PendingBuildsQuery,
          response: { 200: PendingBuildList, ...apiErrors },
        },
        onRequest: app.requireApiScope('admin', 'sdapi', 'viewer'),
      },
      async (request) => app.queue.scheduler.pending(request.query.limit ?? 100),
    );
    // One source per kind of wait.
    const sources: WaitingSource[] = [
      pendingSource(app.queue.scheduler),
      blockedSource(app.screwdriver.rules),
      frozenSource(app.screwdriver.frozen),
    ];
    app.get(
      '/v4/builds/waiting',
      {
        schema: {
          tags: ['scheduling'],
          security: apiSecurity,
          summary: 'Builds not in a queue yet (pending, blocked, frozen), oldest first, with why',
          querystring: WaitingBuildsQuery,
          response: { 200: WaitingBuildList, ...apiErrors },
        },
        onRequest: app.requireApiScope('admin', 'viewer'),
      },
      async (request) =>
        waitingBuilds(sources, {
          kind: request.query.kind,
          limit: request.query.limit ?? 100,
          offset: request.query.offset ?? 0,
        }),
    );
    app.get(
      '/v4/builds/:buildId',
      {
        schema: {
          tags: ['scheduling'],
          security: apiSecurity,
          summary: 'One build: state, cluster, position while queued, lease, history',
          params: BuildIdParams,
          response: { 200: BuildStatus, 404: ErrorBody, ...apiErrors },
        },
        onRequest: app.requireApiScope('admin', 'sdapi', 'viewer'),
      },
      async (request) => {
        const { buildId } = request.params;
        // Held by Screwdriver's blockedBy rule: not in any queue yet.
        const waiting = await app.screwdriver.rules.waiting(buildId);
        if (waiting) {
          const since = new Date(waiting.since).toISOString();
          return {
            ...notQueued(buildId, since, blockedReason(waiting.blocking)),
            state: 'blocked' as const,
            blockedBy: waiting.blocking,
            blockedSince: since,
          };
        }
        // Held by its job's freeze window: started again through the API when the window ends.
        const frozen = await app.screwdriver.frozen.get(buildId);
        if (frozen) {
          return {
            ...notQueued(buildId, frozen.frozenAt, frozen.reason),
            state: 'frozen' as const,
            frozenUntil: frozen.frozenUntil,
          };
        }
        return app.queue.scheduler.status(buildId);
      },
    );
  },
  { name: 'routes-builds', dependencies: ['auth', 'queue', 'screwdriver'] },
);
