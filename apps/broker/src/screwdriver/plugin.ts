import fp from 'fastify-plugin';
import type { StartMessage } from '@buildcluster/protocol';
import { BrokerError, Errors } from '../errors.js';
import { countGauge } from '../plugins/external/metrics.js';
import type { BuildChange } from '../queue/events.js';
import { AdminEvents } from './admin-events.js';
import { ScrewdriverApi } from './api.js';
import { BuildContexts } from './contexts.js';
import { FrozenBuilds } from './frozen.js';
import { Positions, queuedMessage } from './positions.js';
import { BuildRules, type Released } from './rules.js';
import { StatusUpdates } from './status-updates.js';
import { Timeouts } from './timeouts.js';
import { ScrewdriverTokens } from './tokens.js';

/** What the broker does for Screwdriver beyond queuing: tokens, status updates, timeouts. */
export interface ScrewdriverSide {
  contexts: BuildContexts;
  timeouts: Timeouts;
  rules: BuildRules;
  /** Builds held by their freeze windows; they freeze only when `adminEvents` can start them again. */
  frozen: FrozenBuilds;
  /** Queues the builds the rules let go (each at most once, whatever fails), and takes them out of the journal. */
  release(released: Released[]): Promise<void>;
  /** Null without QUEUE_JWT_PRIVATE_KEY: the broker cannot sign for Screwdriver, so it tells it nothing. */
  updates: StatusUpdates | null;
  /** Starts events as a pipeline's admin (freeze window ends, periodic ticks); null without QUEUE_JWT_PRIVATE_KEY. */
  adminEvents: AdminEvents | null;
  /** What an operator must know about this broker's Screwdriver setup (also on /v4/status). */
  warnings: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    screwdriver: ScrewdriverSide;
  }
}

export const NO_QUEUE_KEY_WARNING =
  'QUEUE_JWT_PRIVATE_KEY is not set: launchers get no token in their start messages and Screwdriver is not told ' +
  "where its builds wait, and builds inside a freeze window are queued at once; set it to the private key whose public half is the API's auth.jwtQueueServicePublicKey";

/** The message Screwdriver shows on a build the broker could not start. */
const deadMessage = (change: BuildChange): string =>
  `Build could not be started on cluster ${change.cluster ?? 'unknown'}: ${change.detail ?? 'delivery attempts exhausted'}`;

export default fp(
  async (app) => {
    const { config } = app;
    const contexts = new BuildContexts(app.redis, config.buildRetentionSeconds);
    const rules = new BuildRules(app.redis, config.collapseBuilds);
    countGauge(
      app.metrics,
      'broker_builds_blocked',
      "Builds held by Screwdriver's blockedBy rule until the build that blocks them ends",
      () => rules.waitingCount(),
    );
    /** A build the rules let go goes to its cluster; one the scheduler refuses (400/403) is over for the rules too. */
    const release = async (released: Released[]): Promise<void> => {
      for (const { buildId, message } of released) {
        const start = JSON.parse(message) as StartMessage;
        try {
          await app.queue.scheduler.schedule(start);
        } catch (err) {
          if (!(err instanceof BrokerError) || err.statusCode >= 500) {
            app.log.warn({ err, buildId }, `build ${buildId} let go by the rules could not be queued yet; trying again`);
            continue;
          }
          app.log.warn({ buildId, why: err.message }, `build ${buildId} let go by the rules was refused: ${err.message}`);
          await release((await rules.settle(buildId)).released);
          await updates?.failed(buildId, `Build could not be queued: ${err.message}`);
        }
        await rules.queued(buildId);
      }
    };
    const warnings: string[] = [];
    let updates: StatusUpdates | null = null;
    let positions: Positions | null = null;
    let adminEvents: AdminEvents | null = null;

    if (config.queueJwtPrivateKey) {
      const tokens = new ScrewdriverTokens(config.queueJwtPrivateKey);
      const api = new ScrewdriverApi('buildcluster-broker');
      adminEvents = new AdminEvents({ tokens, api, log: app.log.child({ module: 'screwdriver-events' }) });
      const live = new StatusUpdates({
        redis: app.redis,
        contexts,
        tokens,
        api,
        log: app.log.child({ module: 'screwdriver-updates' }),
        metrics: app.metrics,
      });
      updates = live;
      const told = (what: Promise<void>) =>
        what.catch((err: unknown) => app.log.warn({ err }, 'could not record an update for Screwdriver'));
      app.queue.events.onChange((change) => {
        if (change.state === 'queued' && change.cluster) void told(live.queued(change.buildId, queuedMessage(change.cluster)));
        else if (change.state === 'pending')
          void told(live.queued(change.buildId, `waiting for a cluster: ${change.detail ?? 'none is eligible'}`));
        else if (change.state === 'dead') void told(live.failed(change.buildId, deadMessage(change)));
      });
      positions = new Positions({
        redis: app.redis,
        queue: app.queue,
        log: app.log,
        intervalMs: config.positionUpdateSeconds * 1000,
        tell: (buildId, message) => live.queued(buildId, message),
      });
    } else {
      warnings.push(NO_QUEUE_KEY_WARNING);
    }

    const frozen = new FrozenBuilds({
      redis: app.redis,
      log: app.log.child({ module: 'screwdriver-frozen' }),
      start: adminEvents ? (event) => adminEvents.start(event) : null,
    });
    countGauge(app.metrics, 'broker_builds_frozen', "Builds held by their job's freeze window until it ends", () =>
      frozen.count(),
    );

    const timeouts = new Timeouts({
      redis: app.redis,
      log: app.log,
      bufferSeconds: config.buildTimeoutBufferSeconds,
      async expire(buildId) {
        await updates?.timedOut(buildId);
        try {
          await app.queue.scheduler.stop(await contexts.completeStop({ buildId }));
        } catch (err) {
          // A build the broker no longer knows has nothing left to stop on a cluster.
          if (!(err instanceof Errors.BuildNotFound)) throw err;
        }
      },
    });

    // A build that died in the dead letters is over for the rules: what it held may start.
    app.queue.events.onChange((change) => {
      if (change.state !== 'dead') return;
      void rules
        .settle(change.buildId)
        .then(({ released }) => release(released))
        .catch((err: unknown) => app.log.warn({ err }, `build ${change.buildId}: could not apply the rules after its death`));
    });
    // Builds let go by a broker that died before queuing them; jobs held by a build whose stop was lost.
    const journal = setInterval(() => {
      void rules
        .unqueued(10_000)
        .then(release)
        .then(() => rules.overdue())
        .then(async (overdue) => {
          for (const buildId of overdue) {
            app.log.warn(
              { buildId },
              `build ${buildId} held its job past its timeout and Screwdriver never stopped it; releasing the job`,
            );
            await release((await rules.settle(buildId)).released);
          }
        })
        .catch((err: unknown) => app.log.warn({ err }, 'build rules: could not read the journal'));
    }, 5000);
    journal.unref();

    app.decorate('screwdriver', {
      contexts,
      timeouts,
      rules,
      frozen,
      release,
      updates,
      adminEvents,
      warnings,
    } satisfies ScrewdriverSide);

    app.addHook('onReady', async () => {
      for (const warning of warnings) app.log.warn(warning);
      updates?.run();
      positions?.start();
      timeouts.run();
      frozen.run();
    });
    app.addHook('preClose', async () => {
      clearInterval(journal);
      await Promise.all([updates?.close(), positions?.stop(), timeouts.close(), frozen.close()]);
    });
  },
  { name: 'screwdriver', dependencies: ['config', 'redis', 'metrics', 'queue'] },
);
