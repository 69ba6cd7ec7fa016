import { Type } from 'typebox';
import {
  ErrorBody,
  BulkCancelBody,
  BulkPurgeBody,
  BulkRequeueBody,
  BulkResult,
  PauseBody,
  PauseState,
  QueueClusterParams,
  ResumeBody,
  WaitTimesQuery,
  WaitTimesReport,
  WhoAmI,
  WorkerList,
} from '@buildcluster/protocol';
import { Errors } from '../errors.js';
import { INTERVAL_MS } from './wait-times.js';
import { STALE_AFTER_MS } from './workers-seen.js';
import { errors, security, username } from './route-common.js';
import { apiGuards, routePlugin } from '../routes/route-kit.js';

/**
 * The console's queue routes: who am I, wait times, workers, paused dispatch, bulk actions on dead
 * and queued builds. Reads for admin and viewer, changes for admin.
 */
export default routePlugin(
  async (app) => {
    const { admin, reader } = apiGuards(app);

    app.get(
      '/v4/me',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Who this token is and whether it may change anything',
          response: { 200: WhoAmI, ...errors },
        },
        onRequest: app.requireApiScope('admin', 'viewer', 'sdapi'),
      },
      async (request) => ({
        username: username(request),
        scopes: request.apiUser?.scopes ?? [],
        canWrite: request.apiUser?.scopes.includes('admin') ?? false,
        screwdriverUiUrl: app.config.screwdriverUiUrl,
      }),
    );

    app.get(
      '/v4/waittimes',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Queue wait and run time percentiles (5 min, 1 h, 24 h), overall and per cluster, with a 24 h history',
          querystring: WaitTimesQuery,
          response: { 200: WaitTimesReport, ...errors },
        },
        onRequest: reader,
      },
      async (request) => {
        const refs = await app.queue.admin.queues();
        const of = request.query.cluster;
        if (of !== undefined && !refs.some((r) => r.cluster === of)) throw new Errors.ClusterNotFound({ cluster: of });
        const queues = refs.map((r) => r.queue);
        const historyOf = of === undefined ? queues : refs.filter((r) => r.cluster === of).map((r) => r.queue);
        const report = await app.console.waitTimes.report(queues, historyOf);
        return {
          overall: report.overall,
          clusters: Object.fromEntries(refs.map((r) => [r.cluster, report.perQueue.get(r.queue)!])),
          history: report.history,
          intervalMs: INTERVAL_MS,
        };
      },
    );

    app.get(
      '/v4/queues/:cluster/workers',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Workers seen in the last hour: address, version, last poll, what they run, done and failed',
          params: QueueClusterParams,
          response: { 200: WorkerList, ...errors },
        },
        onRequest: reader,
      },
      async (request) => {
        const cluster = request.params.cluster;
        const ref = await app.queue.admin.resolve(cluster);
        const detail = await app.queue.admin.detail(cluster);
        const since = await app.queue.admin.leaseStarts(ref, detail.leases);
        const leases = detail.leases.map((l, i) => ({
          leaseId: l.leaseId,
          buildId: l.buildId,
          type: l.type,
          workerId: l.workerId,
          attempt: l.attempt,
          leaseExpiresMs: Date.parse(l.leaseExpiresAt),
          sinceMs: since[i] ?? null,
        }));
        return { cluster, staleAfterMs: STALE_AFTER_MS, workers: await app.console.workers.list(ref.queue, leases) };
      },
    );

    const pauseState = async (cluster: string) => {
      const ref = await app.queue.admin.resolve(cluster);
      return { cluster, paused: app.queue.pauses.get(ref.queue), audit: await app.queue.pauses.auditLines(cluster) };
    };

    app.get(
      '/v4/queues/:cluster/pause',
      {
        schema: {
          tags: ['console'],
          security,
          summary: "A cluster's dispatch pause and its audit trail",
          params: QueueClusterParams,
          response: { 200: PauseState, ...errors },
        },
        onRequest: reader,
      },
      async (request) => pauseState(request.params.cluster),
    );

    app.post(
      '/v4/queues/:cluster/pause',
      {
        schema: {
          tags: ['console'],
          security,
          summary:
            'Pause dispatch: the cluster keeps queuing (mode hold) or leaves the weighted pick too (divert); its workers get nothing',
          params: QueueClusterParams,
          body: PauseBody,
          response: { 200: PauseState, 409: ErrorBody, ...errors },
        },
        onRequest: admin,
      },
      async (request) => {
        const { cluster } = request.params;
        const ref = await app.queue.admin.resolve(cluster);
        if (app.queue.pauses.isPaused(ref.queue)) throw new Errors.DispatchPaused({ cluster });
        await app.queue.pauses.pause(cluster, ref.queue, request.body.mode ?? 'hold', request.body.note, username(request));
        return pauseState(cluster);
      },
    );

    app.post(
      '/v4/queues/:cluster/resume',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Resume dispatch of a paused cluster',
          params: QueueClusterParams,
          body: Type.Optional(ResumeBody),
          response: { 200: PauseState, 409: ErrorBody, ...errors },
        },
        onRequest: admin,
      },
      async (request) => {
        const { cluster } = request.params;
        const ref = await app.queue.admin.resolve(cluster);
        const resumed = await app.queue.pauses.resume(cluster, ref.queue, request.body?.note ?? '', username(request));
        if (!resumed) throw new Errors.DispatchNotPaused({ cluster });
        app.queue.worker.resumed(ref.queue);
        return pauseState(cluster);
      },
    );

    const audited = async (cluster: string, by: string, action: string, result: BulkResult): Promise<BulkResult> => {
      if (!result.dryRun) await app.queue.pauses.audit(cluster, by, action, `${result.done} of ${result.matched} builds`);
      return result;
    };

    app.post(
      '/v4/queues/:cluster/dead/requeue',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Requeue every dead letter of a cluster, or the listed ones (dryRun: only count them)',
          params: QueueClusterParams,
          body: BulkRequeueBody,
          response: { 200: BulkResult, ...errors },
        },
        onRequest: admin,
      },
      async (request) =>
        audited(
          request.params.cluster,
          username(request),
          'requeued dead letters',
          await app.console.bulk.requeueDead(request.params.cluster, request.body.buildIds, request.body.dryRun ?? false),
        ),
    );

    app.post(
      '/v4/queues/:cluster/dead/purge',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Remove the dead letters that died before a date (dryRun: only count them)',
          params: QueueClusterParams,
          body: BulkPurgeBody,
          response: { 200: BulkResult, ...errors },
        },
        onRequest: admin,
      },
      async (request) =>
        audited(
          request.params.cluster,
          username(request),
          `purged dead letters older than ${request.body.before}`,
          await app.console.bulk.purgeDead(request.params.cluster, new Date(request.body.before), request.body.dryRun ?? false),
        ),
    );

    app.post(
      '/v4/builds/cancel',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Cancel every queued or pending build of a pipeline or a job (dryRun: only list them)',
          body: BulkCancelBody,
          response: { 200: BulkResult, ...errors },
        },
        onRequest: admin,
      },
      async (request) => {
        const result = await app.console.bulk.cancelQueued(request.body);
        if (!result.dryRun && request.body.cluster) {
          await app.queue.pauses.audit(
            request.body.cluster,
            username(request),
            'cancelled queued builds',
            `${result.done} of ${result.matched} builds`,
          );
        }
        return result;
      },
    );
  },
  { name: 'routes-console-queues', dependencies: ['config', 'redis', 'orm', 'clusters', 'auth', 'queue', 'console'] },
);
