import fp from 'fastify-plugin';
import { isCluster } from '../redis/client.js';
import { ScrewdriverTokens } from '../screwdriver/tokens.js';
import { QueueAdmin } from './admin/admin.js';
import { BuildDirectory } from './scheduling/directory.js';
import { BuildEvents } from './events.js';
import { KnownQueues } from './admin/known-queues.js';
import { QueueMetrics } from './admin/metrics.js';
import { Pauses } from './admin/pauses.js';
import { PendingDrainer } from './scheduling/pending.js';
import { QueueRetirement } from './admin/retirement.js';
import { Scheduler } from './scheduling/scheduler.js';
import { QueueStore } from './storage/store.js';
import { Sweeper } from './protocol/sweeper.js';
import { upgradeDirectory } from './scheduling/upgrade.js';
import { Waiters } from './protocol/waiters.js';
import { WorkerProtocol } from './protocol/worker-protocol.js';
import { PollLinger } from './protocol/linger.js';
import type { QueueModule } from './types.js';

/** The queues: scheduling onto clusters, the worker protocol, long-poll wake-ups, administration. */
export default fp(
  async (app) => {
    const { leaseMs, maxAttempts } = app.config;
    // How long settled builds (acked, cancelled, dead) stay known to dedup, stop and GET /v4/builds.
    const keepMs = app.config.buildRetentionSeconds * 1000;
    // Builds a previous version left under the one directory tag move into the buckets first.
    const upgraded = await upgradeDirectory(app.redis);
    if (upgraded.moved > 0) app.log.info({ moved: upgraded.moved }, 'build directory moved into its buckets');
    const wakeChannel = app.channel('wake');
    const store = new QueueStore({ redis: app.redis, wakeChannel, leaseMs, maxAttempts, keepMs });
    const directory = new BuildDirectory(app.redis, keepMs, app.bookkeeping);
    const events = new BuildEvents(app.bus);
    const known = new KnownQueues(app.redis);
    const waiters = new Waiters();
    const pauses = new Pauses(app.redis, app.channel('pause'));
    // Scheduling sees clusters paused in divert mode with weightage 0 (left out of the weighted pick).
    const clusters = pauses.routing(app.clusters);
    // The drainer is made below; a build sent back to pending asks it to run.
    // On a Redis Cluster a start takes two steps, claim then append (README "Rules": once per build).
    // Told by the client itself, which follows REDIS_CLUSTER_NODES (config.redisClusterNodes).
    const splitSchedule = isCluster(app.redis);
    const scheduler = new Scheduler({
      store,
      directory,
      clusters,
      events,
      known,
      requestDrain: () => pending.request(),
      splitSchedule,
    });
    const admin = new QueueAdmin({ store, directory, clusters: app.clusters, known, events, scheduler });
    const linger = new PollLinger(app.config.pollLingerMs);
    const metrics = new QueueMetrics(
      app.metrics,
      () => admin.snapshot(),
      () => waiters.count,
      () => linger.ms,
    );
    const tokens = app.config.queueJwtPrivateKey ? new ScrewdriverTokens(app.config.queueJwtPrivateKey) : null;
    const worker = new WorkerProtocol({
      store,
      directory,
      waiters,
      events,
      metrics,
      log: app.log,
      maxAttempts,
      ...(tokens ? { startMessage: (stored: string) => tokens.withLauncherToken(stored) } : {}),
      isPaused: (queue) => pauses.isPaused(queue),
      linger: () => linger.ms,
      // Set by the console plugin; a hook slot keeps the hot path free of it when absent.
      onDelivered: (ref, workerId, outcome) => module.onDelivered?.(ref, workerId, outcome),
      onSettled: (ref, leaseIds, acked) => module.onSettled?.(ref, leaseIds, acked),
    });
    const pending = new PendingDrainer({ store, directory, clusters, events, known, log: app.log });
    const sweeper = new Sweeper(
      { admin, worker, directory, drainer: pending, scheduler, log: app.log },
      Math.max(250, Math.min(5000, Math.floor(leaseMs / 4))),
      5,
    );

    await pauses.refresh();
    // A replica paused or resumed a queue: reload, and let polls of resumed queues look again.
    await app.subscriptions.on(app.channel('pause'), () => {
      pauses
        .refresh()
        .then((resumed) => resumed.forEach((queue) => worker.resumed(queue)))
        .catch((err: Error) => app.log.warn({ err: err.message }, 'could not reload paused queues'));
    });
    // "queue\nn": n jobs became deliverable on a queue (append, nack, expiry), on any replica.
    await app.subscriptions.on(wakeChannel, (message) => {
      const cut = message.indexOf('\n');
      if (cut > 0) waiters.wake(message.slice(0, cut), Number(message.slice(cut + 1)) || 1);
    });
    // Registration, activation and updates may make pending builds eligible. The bus event can
    // reach a replica before its copy of the cluster is refreshed, so a change of the copy counts too.
    app.bus.on('cluster', () => pending.request());
    app.clusters.onChange?.(() => pending.request());
    app.clusterHooks.queues = new QueueRetirement(store);

    const module: QueueModule = {
      scheduler,
      worker,
      admin,
      events,
      pauses,
      records: store.records,
      inspection: store.inspection,
      snapshot: () => admin.snapshot(),
      waitingPolls: () => waiters.count,
    };
    app.decorate('queue', module);

    app.addHook('onReady', async () => {
      sweeper.start();
      pending.request();
    });
    // Waiting polls answer 204 at once, before the server waits for in-flight requests.
    app.addHook('preClose', async () => {
      waiters.closeAll();
      worker.close();
      linger.close();
      sweeper.stop();
      pending.stop();
    });
    app.addHook('onClose', async () => {
      await pending.idle();
    });
  },
  { name: 'queue', dependencies: ['config', 'redis', 'subscriber', 'bus', 'metrics', 'cluster-hooks', 'clusters'] },
);
