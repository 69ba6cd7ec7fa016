import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import {
  AckBody,
  AckResult,
  ExtendBody,
  ExtendResult,
  NackBody,
  NackResult,
  PollBody,
  PollResult,
  QueueClusterParams,
} from '@buildcluster/protocol';
import type { QueueRef } from '../../queue/protocol/worker-protocol.js';
import { apiErrors as errors, clusterSecurity as security, routePlugin } from '../route-kit.js';

const tags = ['worker protocol'];

/** The queue a request's cluster token was checked against (authenticateCluster, from the path's cluster). */
function queueOf(request: FastifyRequest): QueueRef {
  const cluster = request.buildCluster!;
  return { cluster: cluster.name, queue: cluster.queueKey, name: cluster.queue };
}

/** The worker protocol of README "Worker protocol": poll (long), ack, extend, nack, each with the cluster's own token. */
export default routePlugin(
  async (app) => {
    const worker = app.queue.worker;
    const schema = <B extends TSchema, R extends Record<number, TSchema>>(
      summary: string,
      description: string,
      body: B,
      response: R,
    ) => ({
      tags,
      security,
      summary,
      description,
      params: QueueClusterParams,
      body,
      response: { ...response, ...errors },
    });

    app.post(
      '/v4/queues/:cluster/poll',
      {
        schema: schema(
          "Lease the cluster's next builds (long poll)",
          'FIFO: builds whose lease ended come first. Waits up to waitMs for work; 204 when none arrived. ' +
            'Retrying with the same pollId returns the same leases. `ack` acks leases first, as the ack ' +
            'route would, and the answer reports them in `acked` and `rejected` (200 with no jobs, never 204).',
          PollBody,
          { 200: PollResult, 204: Type.Null({ description: 'nothing arrived within waitMs (and no acks carried)' }) },
        ),
        onRequest: app.authenticateCluster,
      },
      async (request, reply) => {
        // A client that hangs up stops waiting, so no build is leased to a closed connection.
        const gone = new AbortController();
        const onClose = () => gone.abort();
        reply.raw.once('close', onClose);
        try {
          const answer = await worker.poll(queueOf(request), request.body, gone.signal);
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
        schema: schema(
          'Acknowledge leased builds',
          'Only the current lease holder can ack (lease_lost otherwise); acking an acked lease answers acked again.',
          AckBody,
          { 200: AckResult },
        ),
        onRequest: app.authenticateCluster,
      },
      async (request) => worker.ack(queueOf(request), request.body.leaseIds),
    );

    app.post(
      '/v4/queues/:cluster/extend',
      {
        schema: schema('Extend leases of running builds', '`stop` lists the builds Screwdriver asked to stop.', ExtendBody, {
          200: ExtendResult,
        }),
        onRequest: app.authenticateCluster,
      },
      async (request) => worker.extend(queueOf(request), request.body.leaseIds, request.body.leaseMs),
    );

    app.post(
      '/v4/queues/:cluster/nack',
      {
        schema: schema(
          'Give leased builds back',
          'They are delivered again ahead of newer builds, or go to the dead letters after MAX_ATTEMPTS deliveries.',
          NackBody,
          { 200: NackResult },
        ),
        onRequest: app.authenticateCluster,
      },
      async (request) => worker.nack(queueOf(request), request.body.leaseIds, request.body.reason),
    );
  },
  { name: 'routes-worker-protocol', dependencies: ['auth', 'queue'] },
);
