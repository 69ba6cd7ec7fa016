import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  EnqueueResult,
  ErrorBody,
  FrozenResult,
  IgnoredResult,
  PeriodicResult,
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
import { checked } from './body-check.js';
import { startPeriodic, stopPeriodic } from './periodic.js';
import { freezeStart, startFrozenNow, stopFrozen } from './frozen.js';
import { apiErrors, apiSecurity as security, routePlugin } from '../route-kit.js';

/** Screwdriver sends the whole build row with each start; its queue-service accepts up to 10 MB. */
export const QUEUE_MESSAGE_BODY_LIMIT = 10 * 1024 * 1024;

/** `?type=` variants of Screwdriver's queue-service calls (executor-queue). */
const TYPES = ['timer', 'periodic', 'frozen', 'unzip', 'webhook', 'cache'] as const;
type MessageType = (typeof TYPES)[number];
const MessageQuery = Type.Object({
  type: Type.Optional(
    Type.Enum(TYPES, {
      description:
        "timer: arm (POST) or disarm (DELETE) the build timeout. periodic: register (POST) or stop (DELETE) a job's " +
        "screwdriver.cd/buildPeriodically schedule. frozen: start a job's frozen build now (POST) or forget it " +
        '(DELETE, body names jobId). unzip, webhook, cache are queue-service features this broker does not offer: ' +
        '501, or 200 without effect when IGNORE_QUEUE_FEATURES lists them',
    }),
  ),
});

/** Where each feature is turned off in Screwdriver's API, for the 501's message. */
const API_SETTING: Record<IgnorableFeature, string> = {
  unzip: 'unzip artifacts (UNZIP_ARTIFACTS_ENABLED=false)',
  webhook: 'queued webhooks (QUEUE_WEBHOOK_ENABLED=false)',
  cache: 'cache clearing through the queue (leave the cache strategy off, CACHE_STRATEGY unset)',
  periodic: 'periodic builds (remove screwdriver.cd/buildPeriodically from the jobs)',
};

const errors = { ...apiErrors, 413: ErrorBody, 501: ErrorBody };
const tags = ['scheduling'];
const timerStart = checked<TimerStartMessage>(TimerStartMessage, 'a timer message');

const requestedType = (request: FastifyRequest): MessageType | undefined => {
  const type = (request.query as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' && (TYPES as readonly string[]).includes(type) ? (type as MessageType) : undefined;
};

/** Screwdriver's executor-queue contract: start and stop builds, build timers, queue figures (scope sdapi). */
export default routePlugin(
  async (app) => {
    const sdapi = app.requireApiScope('sdapi');
    const ignored = new Set(app.config.ignoredQueueFeatures);

    /** A feature the broker does not offer: 200 without effect when the operator chose so, else 501 saying how to turn it off. */
    const unoffered = (type: IgnorableFeature): IgnoredResult => {
      if (ignored.has(type)) return { ignored: type, message: `?type=${type} is ignored by this broker (IGNORE_QUEUE_FEATURES)` };
      throw new Errors.FeatureNotOffered({ type, setting: API_SETTING[type] });
    };

    /** POST ?type=...: these bodies are not start messages, so they are answered before the body is validated as one. */
    async function otherPost(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
      const type = requestedType(request);
      if (type === undefined) return undefined;
      if (type === 'periodic' && !ignored.has(type)) return reply.code(200).send(await startPeriodic(app, request.body));
      if (type === 'frozen') return reply.code(200).send(await startFrozenNow(app, request));
      if (type !== 'timer') return reply.code(200).send(unoffered(type));
      const body = timerStart(request.body);
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

    /** DELETE ?type=periodic: its body names a job, not a build. */
    async function otherDelete(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
      if (requestedType(request) !== 'periodic' || ignored.has('periodic')) return undefined;
      return reply.code(200).send(await stopPeriodic(app, request.body));
    }

    /** A start message's answer (skipped, frozen, held by the rules, scheduled), for the route to send. */
    async function start(
      message: StartMessage & Record<string, unknown>,
      log: FastifyBaseLogger,
    ): Promise<{ code: 200 | 201; result: EnqueueResult }> {
      const buildId = message.buildId;
      const { screwdriver } = app;
      if (message.jobState === 'DISABLED' || message.jobArchived === true) {
        // Every start of a job forgets the job's frozen build, as the queue-service's start does;
        // the other answers forget it with the build's context (BuildContexts.remember).
        if (message.jobId !== undefined) await screwdriver.frozen.forgetJob(message.jobId);
        const statusMessage = `not started: job ${String(message.jobName ?? message.jobId ?? '')} is ${message.jobArchived === true ? 'archived' : 'disabled'}`;
        log.info({ buildId }, `build ${buildId} skipped: ${statusMessage}`);
        return { code: 200, result: { buildId, state: 'skipped', cluster: null, queue: null, statusMessage } };
      }
      // Freeze windows come before the blockedBy and collapse rules, which never see a frozen build.
      const held = await freezeStart(app, message, log);
      if (held) return { code: 201, result: held };
      // The context is written first: on the same connection, every later read of it sees it.
      const remembered = screwdriver.contexts.remember(buildId, BuildContexts.of(message, new Date()), message.jobId);
      // Awaited by every answer below; handled now too, so that a rules step failing first (its error
      // is the one answered) leaves no unhandled rejection behind.
      remembered.catch(() => {});
      const decision = await screwdriver.rules.admit(message);
      for (const older of decision?.collapsed ?? []) await screwdriver.updates?.collapsed(older, buildId);
      if (decision?.verdict === 'collapsed') {
        await remembered;
        await screwdriver.updates?.collapsed(buildId, decision.blocking[0] ?? buildId);
        return {
          code: 200,
          result: {
            buildId,
            state: 'collapsed',
            cluster: null,
            queue: null,
            statusMessage: `Collapsed to build: ${decision.blocking[0]}`,
          },
        };
      }
      if (decision?.verdict === 'blocked') {
        const statusMessage = blockedMessage(decision.blocking);
        await remembered;
        await screwdriver.updates?.blocked(buildId, statusMessage);
        app.queue.events.publish(buildId, 'blocked', null, `blocked by build(s) ${decision.blocking.join(', ')}`);
        return { code: 201, result: { buildId, state: 'blocked', cluster: null, queue: null, statusMessage } };
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
      return { code: outcome.created ? 201 : 200, result: outcome.result };
    }

    app.post(
      '/v1/queue/message',
      {
        bodyLimit: QUEUE_MESSAGE_BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Schedule a build onto a build cluster (or arm its timeout: ?type=timer; start a frozen build: ?type=frozen)',
          description:
            'Picks the cluster (requested, else weighted among managed ones) and queues the build there, or keeps it ' +
            'pending until an eligible cluster is active. The same buildId again is not queued twice: 200 with its ' +
            'assignment. A build of a disabled or archived job is not queued (200, state skipped). A build inside one of ' +
            'its freezeWindows (UTC cron) is held until the window ends (201, state frozen; Screwdriver is told FROZEN) ' +
            'unless its causeMessage contains [force start]; then the broker starts the job again through the API. ' +
            "With ?type=timer the body is Screwdriver's timer message (TimerStartMessage) and the answer a TimerResult; " +
            'with ?type=periodic the job and pipeline of a PeriodicStartMessage, answered with a PeriodicResult.',
          querystring: MessageQuery,
          body: StartMessage,
          response: {
            200: Type.Union([EnqueueResult, TimerResult, PeriodicResult, FrozenResult, IgnoredResult]),
            201: EnqueueResult,
            ...errors,
          },
        },
        onRequest: sdapi,
        preValidation: otherPost,
      },
      async (request, reply) => {
        const message = request.body as StartMessage & Record<string, unknown>;
        // The build row rides along for the queue-service's own use; workers and executors never read it.
        delete message.build;
        const { code, result } = await start(message, request.log);
        return reply.code(code).send(result);
      },
    );

    app.delete(
      '/v1/queue/message',
      {
        bodyLimit: QUEUE_MESSAGE_BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: "Stop a build (or disarm its timeout: ?type=timer; forget a job's frozen build: ?type=frozen)",
          description:
            'A queued or pending build is cancelled and never delivered; a leased or acked one gets a stop message on its ' +
            "cluster's queue (and extend answers name it). Idempotent: a build the broker does not know, or one already " +
            'settled, answers 200. A frozen build is forgotten (never started again). With ?type=periodic the body is a ' +
            "PeriodicStopMessage ({jobId}) and the job's schedule stops.",
          querystring: MessageQuery,
          body: StopMessage,
          response: { 200: Type.Union([StopResult, TimerResult, PeriodicResult, FrozenResult, IgnoredResult]), ...errors },
        },
        onRequest: sdapi,
        preValidation: otherDelete,
      },
      async (request) => {
        const type = requestedType(request);
        const buildId = request.body.buildId;
        if (type === 'timer') {
          const stopped = await app.screwdriver.timeouts.stop(buildId);
          return { buildId, timer: stopped ? 'stopped' : 'none' } satisfies TimerResult;
        }
        if (type === 'frozen') return stopFrozen(app, request);
        if (type !== undefined) return unoffered(type);
        const { screwdriver } = app;
        if (await screwdriver.frozen.forgetBuild(buildId)) {
          app.queue.events.publish(buildId, 'cancelled', null, 'stopped while frozen');
          return { buildId, state: 'cancelled' } satisfies StopResult;
        }
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
  { name: 'routes-queue-message', dependencies: ['config', 'auth', 'queue', 'screwdriver', 'periodic'] },
);
