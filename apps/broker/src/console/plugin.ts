import fp from 'fastify-plugin';
import { Histogram } from 'prom-client';
import type { QueueStats, StartMessage } from '@buildcluster/protocol';
import type { QueueRef } from '../queue/protocol/worker-protocol.js';
import type { LastRun } from '../queue/storage/build-record.js';
import { BuildIndex } from './build-index.js';
import { HandedOut } from './handed-out.js';
import { BulkActions } from './bulk.js';
import { AwaitingClusterSchema } from './entities.js';
import { refusePlaceholders } from './placeholders.js';
import { acceptScrewdriverShape } from './screwdriver-shape.js';
import { WaitTimes } from './wait-times.js';
import { WorkersSeen } from './workers-seen.js';

/**
 * The operators' console: wait times, workers, build search and timelines, bulk actions, imports.
 * It watches the queue from the outside (a delivery hook, and the answers of the worker and
 * Screwdriver routes), so the queue's scripts and routes stay as they are.
 */
export interface ConsoleModule {
  waitTimes: WaitTimes;
  workers: WorkersSeen;
  index: BuildIndex;
  bulk: BulkActions;
}

declare module 'fastify' {
  interface FastifyInstance {
    console: ConsoleModule;
  }
}

const REGISTRY_WRITES = new Set(['PUT /v4/buildClusters', 'POST /v4/buildClusters', 'PUT /v4/buildClusters/:name']);

function parse<T>(payload: unknown): T | null {
  if (typeof payload !== 'string' || payload === '') return null;
  try {
    return JSON.parse(payload) as T;
  } catch {
    return null;
  }
}

const buildOf = (leaseId: string): { buildId: number; type: string } | null => {
  const m = /^(\d+):([sx]):\d+$/.exec(leaseId);
  return m ? { buildId: Number(m[1]), type: m[2]! } : null;
};

export default fp(
  async (app) => {
    const keepMs = app.config.buildRetentionSeconds * 1000;
    // The console's writes go out with the app's other bookkeeping (sent at close by the redis
    // plugin), merged by key: a burst of builds adds its members to each shared index key in one ZADD.
    const batch = app.bookkeeping;
    const waitTimes = new WaitTimes(app.redis, batch);
    const workers = new WorkersSeen(app.redis, batch);
    const index = new BuildIndex(app.redis, keepMs, batch);
    const bulk = new BulkActions({ queue: app.queue, index });
    app.decorate('console', { waitTimes, workers, index, bulk });
    const warn = (what: string) => (err: Error) => app.log.warn({ err: err.message }, `console: could not record ${what}`);

    const runTime = new Histogram({
      name: 'broker_build_run_seconds',
      help: 'Time from the delivery of a build to its ack (its last attempt), per queue',
      labelNames: ['queue'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
      registers: [app.metrics],
    });

    const handedOut = new HandedOut();
    // First deliveries: the queue wait; every delivery: the lease behind the build's timeline.
    app.queue.onDelivered = (ref, workerId, outcome) => {
      for (const job of outcome.jobs) if (job.type === 'start') handedOut.add(job.leaseId, outcome.now, workerId);
      const waits = outcome.jobs
        .filter((j) => j.type === 'start' && j.attempt === 1)
        .map((j) => Math.max(0, outcome.now - j.enqueuedMs));
      waitTimes.record(ref.queue, 'wait', waits, outcome.now).catch(warn('wait times'));
      index.delivered(workerId, outcome.jobs, outcome.now).catch(warn('deliveries'));
    };

    // Acks (on their own or carried by a poll): the run time and the worker's done count; nacks: its
    // failed count. From the leases this replica handed out, else read from the build records; in the
    // background, so the worker never waits for it.
    const settled = async (queue: string, shown: string, leaseIds: string[], acked: boolean) => {
      const now = Date.now();
      const last: LastRun[] = [];
      const unknown: number[] = [];
      for (const leaseId of leaseIds) {
        const build = buildOf(leaseId);
        if (build?.type !== 's') continue;
        const lease = handedOut.take(leaseId);
        if (lease) last.push({ leasedAt: lease.at, ackedAt: acked ? now : null, leasedBy: lease.worker });
        else unknown.push(build.buildId);
      }
      if (unknown.length > 0) last.push(...(await app.queue.records.lastRuns(queue, unknown)));
      if (last.length === 0) return;
      const runs: number[] = [];
      const who: string[] = [];
      for (const { leasedAt, ackedAt, leasedBy } of last) {
        if (leasedBy) who.push(leasedBy);
        if (acked && leasedAt !== null && ackedAt !== null) runs.push(Math.max(0, ackedAt - leasedAt));
      }
      // Metrics are labelled with the queue's display name; Redis keeps figures under its key.
      for (const ms of runs) runTime.observe({ queue: shown }, ms / 1000);
      await Promise.all([
        acked ? waitTimes.record(queue, 'run', runs) : Promise.resolve(),
        workers.count(queue, who, acked ? 'done' : 'failed'),
      ]);
    };
    app.queue.onSettled = (ref, leaseIds, acked) =>
      void settled(ref.queue, ref.name, leaseIds, acked).catch(warn('settled builds'));

    app.addHook('preValidation', async (request) => {
      if (!REGISTRY_WRITES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) return;
      refusePlaceholders(request.body);
      await acceptScrewdriverShape(request);
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const route = request.routeOptions.url;
      if (request.method !== 'POST' || !route || reply.statusCode >= 300) return payload;
      if (route === '/v1/queue/message') {
        // 201 only: a retried post (200) was indexed the first time.
        if (reply.statusCode !== 201) return payload;
        const answer = parse<{ cluster: string | null }>(payload);
        index.note(request.body as StartMessage, answer?.cluster ?? null).catch(warn('the build index'));
      } else if (route === '/v4/queues/:cluster/poll') {
        const queue = request.buildCluster?.queueKey;
        const workerId = (request.body as { workerId?: string } | undefined)?.workerId;
        if (queue && workerId) workers.touch(queue, workerId, request.ip, String(request.headers['user-agent'] ?? ''));
      }
      return payload;
    });

    // A registration that was awaiting its key is done once the cluster is registered.
    app.bus.on('cluster', (event) => {
      if (event.action !== 'created') return;
      app.orm.em
        .fork()
        .nativeDelete(AwaitingClusterSchema, { name: event.name })
        .catch(warn('the end of an awaited registration'));
    });

    // Figures are kept under each queue's Redis key (`refs[i].queue`); `stats[i].queue` is its display name.
    app.queue.admin.decorate = async (stats: QueueStats[], refs: QueueRef[]) => {
      const now = Date.now();
      const { perQueue } = await waitTimes.report(
        refs.map((r) => r.queue),
        [],
        now,
      );
      await Promise.all(
        stats.map(async (s, i) => {
          const queue = refs[i]!.queue;
          s.paused = app.queue.pauses.get(queue);
          s.waitTimes = perQueue.get(queue);
          const [seen, unacked] = await Promise.all([workers.quiet(queue, now), app.queue.inspection.unacked(queue)]);
          s.unackedBehind = unacked.count;
          s.oldestUnackedAgeMs = unacked.oldestMs === null ? null : Math.max(0, now - unacked.oldestMs);
          s.workersLastHour = seen.total;
          s.staleWorkers = seen.quiet.length > 0 ? await staleAmong(queue, seen.quiet, now) : 0;
        }),
      );
    };

    /** Of the workers that stopped polling, those that hold no live lease either. */
    const staleAmong = async (queue: string, quiet: string[], now: number): Promise<number> => {
      const live = await app.queue.inspection.liveLeases(queue, now);
      if (live.length === 0) return quiet.length;
      const holders = new Set(await app.queue.records.workersOf(queue, live));
      return quiet.filter((w) => !holders.has(w)).length;
    };
  },
  { name: 'console', dependencies: ['config', 'redis', 'bus', 'metrics', 'orm', 'queue'] },
);
