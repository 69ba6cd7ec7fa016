import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BuildIdParams, BuildStatus, ErrorBody } from '@buildcluster/protocol';

/** Where a build is: state, cluster, attempts, its place in the queue, its lease, its history. */
export default fp(
  async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
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
        onRequest: app.requireApiScope('admin', 'sdapi'),
      },
      async (request) => app.queue.scheduler.status(request.params.buildId),
    );
  },
  { name: 'routes-builds', dependencies: ['queue'] },
);
