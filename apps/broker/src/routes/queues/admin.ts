import { Type } from 'typebox';
import { BuildId, BuildStatus, DeadBuild, ErrorBody, QueueClusterParams, QueueDetail, QueueStats } from '@buildcluster/protocol';
import { apiErrors as errors, apiGuards, apiSecurity as security, routePlugin } from '../route-kit.js';

const tags = ['queues'];
const DeadParams = Type.Object({ cluster: QueueClusterParams.properties.cluster, buildId: BuildId });

/** Queue administration of README "API": figures, detail, dead letters (read by admins and viewers), requeue (admins). */
export default routePlugin(
  async (app) => {
    // Reads are open to cluster maintainers too (viewer: sees everything, changes nothing).
    const { admin, reader } = apiGuards(app);
    app.get(
      '/v4/queues',
      {
        schema: {
          tags,
          security,
          summary: 'Every queue with its figures',
          response: { 200: Type.Array(QueueStats), ...errors },
        },
        onRequest: reader,
      },
      async () => app.queue.admin.listStats(),
    );

    app.get(
      '/v4/queues/:cluster',
      {
        schema: {
          tags,
          security,
          summary: "A cluster's queue: figures, in-flight leases, next queued builds",
          params: QueueClusterParams,
          response: { 200: QueueDetail, 404: ErrorBody, ...errors },
        },
        onRequest: reader,
      },
      async (request) => app.queue.admin.detail(request.params.cluster),
    );

    app.get(
      '/v4/queues/:cluster/dead',
      {
        schema: {
          tags,
          security,
          summary: "A cluster's dead letters",
          params: QueueClusterParams,
          response: { 200: Type.Array(DeadBuild), 404: ErrorBody, ...errors },
        },
        onRequest: reader,
      },
      async (request) => app.queue.admin.dead(request.params.cluster),
    );

    app.post(
      '/v4/queues/:cluster/dead/:buildId/requeue',
      {
        schema: {
          tags,
          security,
          summary: 'Put a dead build back at the tail of its queue',
          params: DeadParams,
          response: { 200: BuildStatus, 404: ErrorBody, ...errors },
        },
        onRequest: admin,
      },
      async (request) => app.queue.admin.requeue(request.params.cluster, request.params.buildId),
    );
  },
  { name: 'routes-queue-admin', dependencies: ['auth', 'queue'] },
);
