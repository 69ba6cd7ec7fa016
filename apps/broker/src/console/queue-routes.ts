import { Type, type Static, type TSchema } from 'typebox';
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

    /** A bulk action's result, after writing it into the cluster's audit trail unless it was a dry run. */
    const audited = async (cluster: string, by: string, action: string, result: BulkResult): Promise<BulkResult> => {
      if (!result.dryRun) await app.queue.pauses.audit(cluster, by, action, `${result.done} of ${result.matched} builds`);
      return result;
    };

    /**
     * POST /v4/queues/{cluster}/dead/{verb} (admin): a bulk action on one cluster's dead letters. `act` does it
     * and says what to write in the cluster's audit trail (nothing is written for a dry run).
     */
    const deadLetterRoute = <B extends TSchema>(
      verb: string,
      summary: string,
      body: B,
      act: (cluster: string, body: Static<B>) => Promise<{ action: string; result: BulkResult }>,
    ) =>
      app.post(
        `/v4/queues/:cluster/dead/${verb}`,
        {
          schema: {
            tags: ['console'],
            security,
            summary,
            params: QueueClusterParams,
            body,
            response: { 200: BulkResult, ...errors },
          },
          onRequest: admin,
        },
        async (request) => {
          const { cluster } = request.params;
          // Validated against `body`; the type provider cannot resolve its static type for a generic schema.
          const { action, result } = await act(cluster, request.body as Static<B>);
          return audited(cluster, username(request), action, result);
        },
      );

    deadLetterRoute(
      'requeue',
      'Requeue every dead letter of a cluster, or the listed ones (dryRun: only count them)',
      BulkRequeueBody,
      async (cluster, { buildIds, dryRun = false }) => ({
        action: 'requeued dead letters',
        result: await app.console.bulk.requeueDead(cluster, buildIds, dryRun),
      }),
    );

    deadLetterRoute(
      'purge',
      'Remove the dead letters that died before a date (dryRun: only count them)',
      BulkPurgeBody,
      async (cluster, { before, dryRun = false }) => ({
        action: `purged dead letters older than ${before}`,
        result: await app.console.bulk.purgeDead(cluster, new Date(before), dryRun),
      }),
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
        // Only a cancel within one cluster goes into that cluster's audit trail.
        const { cluster } = request.body;
        return cluster ? audited(cluster, username(request), 'cancelled queued builds', result) : result;
      },
    );
  },
  { name: 'routes-console-queues', dependencies: ['config', 'redis', 'orm', 'clusters', 'auth', 'queue', 'console'] },
);
