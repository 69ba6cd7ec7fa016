import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EnqueueResult, ErrorBody, QueueStatsSummary, StartMessage, StopMessage, StopResult } from '@buildcluster/protocol';
import { Errors } from '../../errors.js';

/** `?type=` variants of Screwdriver's queue-service: features outside this product (SPEC §5). */
const OTHER_TYPES = ['periodic', 'frozen', 'timer', 'unzip', 'webhook', 'cache'] as const;
const MessageQuery = Type.Object({
  type: Type.Optional(Type.Enum(OTHER_TYPES, { description: 'queue-service features this broker does not offer (501)' })),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 501: ErrorBody, 503: ErrorBody };
const tags = ['scheduling'];
const security = [{ apiToken: [] }];

/** Refuses the other queue-service features before the body is validated as a start/stop message. */
async function refuseOtherTypes(request: { query: unknown }): Promise<void> {
  const type = (request.query as { type?: unknown } | undefined)?.type;
  if (typeof type === 'string' && (OTHER_TYPES as readonly string[]).includes(type)) {
    throw new Errors.NotImplemented(
      `?type=${type} is a Screwdriver queue-service feature this broker does not offer; it schedules and stops builds only`,
    );
  }
}

/** Screwdriver's executor-queue contract: start and stop builds, queue figures (scope sdapi). */
export default fp(
  async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const sdapi = app.requireApiScope('sdapi');

    app.post(
      '/v1/queue/message',
      {
        schema: {
          tags,
          security,
          summary: 'Schedule a build onto a build cluster',
          description:
            'Picks the cluster (requested, else weighted among managed ones) and queues the build there, or keeps it ' +
            'pending until an eligible cluster is active. The same buildId again is not queued twice: 200 with its assignment.',
          querystring: MessageQuery,
          body: StartMessage,
          response: { 200: EnqueueResult, 201: EnqueueResult, ...errors },
        },
        onRequest: sdapi,
        preValidation: refuseOtherTypes,
      },
      async (request, reply) => {
        const { created, result } = await app.queue.scheduler.schedule(request.body);
        return reply.code(created ? 201 : 200).send(result);
      },
    );

    app.delete(
      '/v1/queue/message',
      {
        schema: {
          tags,
          security,
          summary: 'Stop a build',
          description:
            'A queued or pending build is cancelled and never delivered; a leased or acked one gets a stop message on its ' +
            "cluster's queue (and extend answers name it).",
          querystring: MessageQuery,
          body: StopMessage,
          response: { 200: StopResult, 404: ErrorBody, ...errors },
        },
        onRequest: sdapi,
        preValidation: refuseOtherTypes,
      },
      async (request) => app.queue.scheduler.stop(request.body),
    );

    app.get(
      '/v1/queue/stats',
      {
        schema: {
          tags,
          security,
          summary: 'Queue figures of every cluster',
          response: { 200: QueueStatsSummary, ...errors },
        },
        onRequest: app.requireApiScope('sdapi', 'admin'),
      },
      async () => app.queue.snapshot(),
    );
  },
  { name: 'routes-queue-message', dependencies: ['queue'] },
);
