import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BuildIdParams, BuildStatus, ErrorBody, PendingBuildList, PendingBuildsQuery } from '@buildcluster/protocol';

/**
 * Where builds are: the pending ones (no eligible cluster yet) with why; one build's state,
 * cluster, attempts, place in the queue, lease and history.
 */
export default fp(
  async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    // A static segment: Fastify's router picks it over `:buildId`, whose schema would refuse it.
    app.get(
      '/v4/builds/pending',
      {
        schema: {
          tags: ['scheduling'],
          security: [{ apiToken: [] }],
          summary: 'Pending builds (no eligible cluster yet), oldest first, with why',
          querystring: PendingBuildsQuery,
          response: { 200: PendingBuildList, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
        },
        onRequest: app.requireApiScope('admin', 'sdapi', 'viewer'),
      },
      async (request) => app.queue.scheduler.pending(request.query.limit ?? 100),
    );
    app.get(
      '/v4/builds/:buildId',
      {
        schema: {
          tags: ['scheduling'],
          security: [{ apiToken: [] }],
          summary: 'One build: state, cluster, position while queued, lease, history',
          params: BuildIdParams,
          response: { 200: BuildStatus, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody },
        },
        onRequest: app.requireApiScope('admin', 'sdapi', 'viewer'),
      },
      async (request) => {
        const { buildId } = request.params;
        // Held by Screwdriver's blockedBy rule: not in any queue yet.
        const waiting = await app.screwdriver.rules.waiting(buildId);
        if (waiting) {
          return {
            buildId,
            state: 'blocked' as const,
            cluster: null,
            queue: null,
            enqueuedAt: new Date(waiting.since).toISOString(),
            attempts: 0,
            pendingReason: `blocked by running build(s) ${waiting.blocking.join(', ') || '(being released)'}`,
          };
        }
        return app.queue.scheduler.status(buildId);
      },
    );
  },
  { name: 'routes-builds', dependencies: ['queue', 'screwdriver'] },
);
