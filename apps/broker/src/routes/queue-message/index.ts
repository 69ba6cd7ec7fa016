import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  EnqueueResult,
  ErrorBody,
  IgnoredResult,
  QueueStatsSummary,
  StartMessage,
  StopMessage,
  StopResult,
  TimerResult,
  TimerStartMessage,
} from '@buildcluster/protocol';
import type { IgnorableFeature } from '../../config.js';
import { Errors } from '../../errors.js';
import { BuildContexts } from '../../screwdriver/contexts.js';
import { blockedMessage } from '../../screwdriver/rules.js';

/** Screwdriver sends the whole build row with each start; its queue-service accepts up to 10 MB. */
export const QUEUE_MESSAGE_BODY_LIMIT = 10 * 1024 * 1024;

/** `?type=` variants of Screwdriver's queue-service calls (executor-queue). */
const TYPES = ['timer', 'periodic', 'frozen', 'unzip', 'webhook', 'cache'] as const;
type MessageType = (typeof TYPES)[number];
const MessageQuery = Type.Object({
  type: Type.Optional(
    Type.Enum(TYPES, {
      description:
        'timer: arm (POST) or disarm (DELETE) the build timeout. The others are queue-service features this broker does ' +
        'not offer: 501, or 200 without effect when IGNORE_QUEUE_FEATURES lists them',
    }),
  ),
});

/** Where each feature is turned off in Screwdriver's API, for the 501's message. */
const API_SETTING: Record<IgnorableFeature, string> = {
  unzip: 'unzip artifacts (UNZIP_ARTIFACTS_ENABLED=false)',
  webhook: 'queued webhooks (QUEUE_WEBHOOK_ENABLED=false)',
  cache: 'cache clearing through the queue (leave the cache strategy off, CACHE_STRATEGY unset)',
  periodic: 'periodic builds (remove screwdriver.cd/buildPeriodically from the jobs)',
  frozen: 'freeze windows (remove freezeWindows from the jobs)',
};

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 413: ErrorBody, 501: ErrorBody, 503: ErrorBody };
const tags = ['scheduling'];
const security = [{ apiToken: [] }];
const checkTimerStart = Compile(TimerStartMessage);

const requestedType = (request: FastifyRequest): MessageType | undefined => {
  const type = (request.query as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' && (TYPES as readonly string[]).includes(type) ? (type as MessageType) : undefined;
};

/** Screwdriver's executor-queue contract: start and stop builds, build timers, queue figures (scope sdapi). */
export default fp(
  async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const sdapi = app.requireApiScope('sdapi');
    const ignored = new Set(app.config.ignoredQueueFeatures);

    /** A feature the broker does not offer: 200 without effect when the operator chose so, else 501 saying how to turn it off. */
    const unoffered = (type: IgnorableFeature): IgnoredResult => {
      if (ignored.has(type)) return { ignored: type, message: `?type=${type} is ignored by this broker (IGNORE_QUEUE_FEATURES)` };
      throw new Errors.NotImplemented(
        `?type=${type} is a Screwdriver queue-service feature this broker does not offer; turn off ${API_SETTING[type]} ` +
          `in the Screwdriver API, or set IGNORE_QUEUE_FEATURES=${type} on the broker to accept and ignore these calls`,
      );
    };

    /** POST ?type=...: these bodies are not start messages, so they are answered before the body is validated as one. */
    async function otherPost(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
      const type = requestedType(request);
      if (type === undefined) return undefined;
      if (type !== 'timer') return reply.code(200).send(unoffered(type));
      if (!checkTimerStart.Check(request.body)) {
        const first = [...checkTimerStart.Errors(request.body)][0];
        const field = first?.instancePath ? `body${first.instancePath}` : 'body';
        throw new Errors.BadRequest(`${field} ${first?.message ?? 'is not a timer message'}`);
      }
      const body = request.body as TimerStartMessage;
      const armed = await app.screwdriver.timeouts.start({
        buildId: body.buildId,
        ...(body.jobId === undefined ? {} : { jobId: body.jobId }),
        ...(body.buildStatus === undefined ? {} : { buildStatus: body.buildStatus }),
        ...(typeof body.startTime === 'string' ? { startTime: body.startTime } : {}),
        ...(body.annotations ? { annotations: body.annotations } : {}),
      });
      const firesAt = await app.screwdriver.timeouts.deadline(body.buildId);
      const result: TimerResult = {
        buildId: body.buildId,
        timer: armed ? 'armed' : firesAt === null ? 'none' : 'unchanged',
        ...(firesAt === null ? {} : { firesAt: new Date(firesAt).toISOString() }),
      };
      return reply.code(200).send(result);
    }

    app.post(
      '/v1/queue/message',
      {
        bodyLimit: QUEUE_MESSAGE_BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Schedule a build onto a build cluster (or arm its timeout: ?type=timer)',
          description:
            'Picks the cluster (requested, else weighted among managed ones) and queues the build there, or keeps it ' +
            'pending until an eligible cluster is active. The same buildId again is not queued twice: 200 with its ' +
            'assignment. A build of a disabled or archived job is not queued (200, state skipped). With ?type=timer the ' +
            "body is Screwdriver's timer message (TimerStartMessage) and the answer a TimerResult.",
          querystring: MessageQuery,
          body: StartMessage,
          response: { 200: Type.Union([EnqueueResult, TimerResult, IgnoredResult]), 201: EnqueueResult, ...errors },
        },
        onRequest: sdapi,
        preValidation: otherPost,
      },
      async (request, reply) => {
        const message = request.body as StartMessage & Record<string, unknown>;
        const buildId = message.buildId;
        // The build row rides along for the queue-service's own use; workers and executors never read it.
        delete message.build;
        if (message.jobState === 'DISABLED' || message.jobArchived === true) {
          const statusMessage = `not started: job ${String(message.jobName ?? message.jobId ?? '')} is ${message.jobArchived === true ? 'archived' : 'disabled'}`;
          request.log.info({ buildId }, `build ${buildId} skipped: ${statusMessage}`);
          return reply.code(200).send({ buildId, state: 'skipped', cluster: null, queue: null, statusMessage });
        }
        const { screwdriver } = app;
        // The context is written first: on the same connection, every later read of it sees it.
        const remembered = screwdriver.contexts.remember(buildId, BuildContexts.of(message, new Date()));
        const decision = await screwdriver.rules.admit(message);
        for (const older of decision?.collapsed ?? []) await screwdriver.updates?.collapsed(older, buildId);
        if (decision?.verdict === 'collapsed') {
          await remembered;
          await screwdriver.updates?.collapsed(buildId, decision.blocking[0] ?? buildId);
          return reply
            .code(200)
            .send({
              buildId,
              state: 'collapsed',
              cluster: null,
              queue: null,
              statusMessage: `Collapsed to build: ${decision.blocking[0]}`,
            });
        }
        if (decision?.verdict === 'blocked') {
          const statusMessage = blockedMessage(decision.blocking);
          await remembered;
          await screwdriver.updates?.blocked(buildId, statusMessage);
          app.queue.events.publish(buildId, 'blocked', null, `blocked by build(s) ${decision.blocking.join(', ')}`);
          return reply.code(201).send({ buildId, state: 'blocked', cluster: null, queue: null, statusMessage });
        }
        let outcome: Awaited<ReturnType<typeof app.queue.scheduler.schedule>>;
        try {
          [, outcome] = await Promise.all([remembered, app.queue.scheduler.schedule(message)]);
        } catch (err) {
          // Refused: Screwdriver fails the build and stops it; until then nothing it holds should wait for it.
          if (decision) {
            await screwdriver.release((await screwdriver.rules.settle(buildId)).released);
            await screwdriver.rules.queued(buildId);
          }
          throw err;
        }
        if (decision) await screwdriver.rules.queued(buildId);
        const { created, result } = outcome;
        return reply.code(created ? 201 : 200).send(result);
      },
    );

    app.delete(
      '/v1/queue/message',
      {
        bodyLimit: QUEUE_MESSAGE_BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Stop a build (or disarm its timeout: ?type=timer)',
          description:
            'A queued or pending build is cancelled and never delivered; a leased or acked one gets a stop message on its ' +
            "cluster's queue (and extend answers name it). Idempotent: a build the broker does not know, or one already " +
            'settled, answers 200.',
          querystring: MessageQuery,
          body: StopMessage,
          response: { 200: Type.Union([StopResult, TimerResult, IgnoredResult]), ...errors },
        },
        onRequest: sdapi,
      },
      async (request) => {
        const type = requestedType(request);
        const buildId = request.body.buildId;
        if (type === 'timer') {
          const stopped = await app.screwdriver.timeouts.stop(buildId);
          return { buildId, timer: stopped ? 'stopped' : 'none' } satisfies TimerResult;
        }
        if (type !== undefined) return unoffered(type);
        const { screwdriver } = app;
        // The build is over for the rules: what it held starts now.
        const settled = await screwdriver.rules.settle(buildId);
        await screwdriver.release(settled.released);
        if (settled.was === 'waiting') {
          app.queue.events.publish(buildId, 'cancelled', null, 'stopped while blocked');
          return { buildId, state: 'cancelled' } satisfies StopResult;
        }
        try {
          return await app.queue.scheduler.stop(await screwdriver.contexts.completeStop(request.body));
        } catch (err) {
          // Screwdriver stops every build it ends, including ones refused at start: nothing to stop is not an error.
          if (err instanceof Errors.BuildNotFound) return { buildId, state: 'unknown' } satisfies StopResult;
          throw err;
        }
      },
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
  { name: 'routes-queue-message', dependencies: ['queue', 'screwdriver'] },
);
