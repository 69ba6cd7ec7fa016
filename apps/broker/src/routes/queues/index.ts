import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AckBody,
  AckResult,
  BuildId,
  BuildStatus,
  DeadBuild,
  ErrorBody,
  ExtendBody,
  ExtendResult,
  NackBody,
  NackResult,
  PollBody,
  PollResult,
  QueueClusterParams,
  QueueDetail,
  QueueStats,
} from '@buildcluster/protocol';
import type { QueueRef } from '../../queue/worker-protocol.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };
const workerTags = ['worker protocol'];
const adminTags = ['queues'];
const clusterSecurity = [{ clusterToken: [] }];
const adminSecurity = [{ apiToken: [] }];
const DeadParams = Type.Object({ cluster: QueueClusterParams.properties.cluster, buildId: BuildId });

/** The worker protocol (cluster token) and queue administration (admin) of SPEC §6. */
export default fp(
  async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const worker = app.queue.worker;
    const admin = app.requireApiScope('admin');
    // Reads are open to cluster maintainers too (viewer: sees everything, changes nothing).
    const reader = app.requireApiScope('admin', 'viewer');
    // authenticateCluster has checked the token against the cluster named in the path.
    const refOf = (request: { buildCluster?: { name: string; queue: string; queueKey: string } }): QueueRef => ({
      cluster: request.buildCluster!.name,
      queue: request.buildCluster!.queueKey,
      name: request.buildCluster!.queue,
    });

    app.post(
      '/v4/queues/:cluster/poll',
      {
        schema: {
          tags: workerTags,
          security: clusterSecurity,
          summary: "Lease the cluster's next builds (long poll)",
          description:
            'FIFO: builds whose lease ended come first. Waits up to waitMs for work; 204 when none arrived. ' +
            'Retrying with the same pollId returns the same leases.',
          params: QueueClusterParams,
          body: PollBody,
          response: { 200: PollResult, 204: Type.Null({ description: 'nothing arrived within waitMs' }), ...errors },
        },
        onRequest: app.authenticateCluster,
      },
      async (request, reply) => {
        // A client that hangs up stops waiting, so no build is leased to a closed connection.
        const gone = new AbortController();
        const onClose = () => gone.abort();
        reply.raw.once('close', onClose);
        try {
          const answer = await worker.poll(refOf(request), request.body, gone.signal);
          if (answer === null) return reply.code(204).send(null);
          // Already JSON text in the PollResult shape (messages pass through without re-encoding);
          // Fastify sends a string with a JSON content type as it is.
          return reply.header('content-type', 'application/json; charset=utf-8').send(answer as unknown as PollResult);
        } finally {
          reply.raw.off('close', onClose);
        }
      },
    );

    app.post(
      '/v4/queues/:cluster/ack',
      {
        schema: {
          tags: workerTags,
          security: clusterSecurity,
          summary: 'Acknowledge leased builds',
          description: 'Only the current lease holder can ack (lease_lost otherwise); acking an acked lease answers acked again.',
          params: QueueClusterParams,
          body: AckBody,
          response: { 200: AckResult, ...errors },
        },
        onRequest: app.authenticateCluster,
      },
      async (request) => worker.ack(refOf(request), request.body.leaseIds),
    );

    app.post(
      '/v4/queues/:cluster/extend',
      {
        schema: {
          tags: workerTags,
          security: clusterSecurity,
          summary: 'Extend leases of running builds',
          description: '`stop` lists the builds Screwdriver asked to stop.',
          params: QueueClusterParams,
          body: ExtendBody,
          response: { 200: ExtendResult, ...errors },
        },
        onRequest: app.authenticateCluster,
      },
      async (request) => worker.extend(refOf(request), request.body.leaseIds, request.body.leaseMs),
    );

    app.post(
      '/v4/queues/:cluster/nack',
      {
        schema: {
          tags: workerTags,
          security: clusterSecurity,
          summary: 'Give leased builds back',
          description: 'They are delivered again ahead of newer builds, or go to the dead letters after MAX_ATTEMPTS deliveries.',
          params: QueueClusterParams,
          body: NackBody,
          response: { 200: NackResult, ...errors },
        },
        onRequest: app.authenticateCluster,
      },
      async (request) => worker.nack(refOf(request), request.body.leaseIds, request.body.reason),
    );

    app.get(
      '/v4/queues',
      {
        schema: {
          tags: adminTags,
          security: adminSecurity,
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
          tags: adminTags,
          security: adminSecurity,
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
          tags: adminTags,
          security: adminSecurity,
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
          tags: adminTags,
          security: adminSecurity,
          summary: 'Put a dead build back at the tail of its queue',
          params: DeadParams,
          response: { 200: BuildStatus, 404: ErrorBody, ...errors },
        },
        onRequest: admin,
      },
      async (request) => app.queue.admin.requeue(request.params.cluster, request.params.buildId),
    );
  },
  { name: 'routes-queues', dependencies: ['queue'] },
);
