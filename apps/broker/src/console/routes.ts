import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AwaitingCluster,
  BuildSearchQuery,
  BuildSearchResult,
  BulkCancelBody,
  BulkPurgeBody,
  BulkRequeueBody,
  BulkResult,
  ClusterName,
  ErrorBody,
  ImportBody,
  ImportPreview,
  ImportResult,
  ImportSource,
  PauseBody,
  PauseState,
  QueueClusterParams,
  ResumeBody,
  WaitTimesQuery,
  WaitTimesReport,
  WhoAmI,
  WorkerList,
} from '@buildcluster/protocol';
import { BrokerError, Errors } from '../errors.js';
import { summaryOf } from './build-index.js';
import { AwaitingClusterSchema } from './entities.js';
import { awaitingList, compare, fetchScrewdriverClusters, importMissing } from './import.js';
import { INTERVAL_MS } from './wait-times.js';
import { STALE_AFTER_MS } from './workers-seen.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody };
const security = [{ apiToken: [] }];

/** The console's routes: reads for admin and viewer, every change for admin only. */
export default fp(
  async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const admin = app.requireApiScope('admin');
    const reader = app.requireApiScope('admin', 'viewer');
    const username = (request: { apiUser?: { username: string } }) => request.apiUser?.username ?? 'unknown';

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
        if (of !== undefined && !refs.some((r) => r.cluster === of))
          throw new Errors.ClusterNotFound(`build cluster ${of} does not exist`);
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
        const base = `q:{${ref.queue}}:b:`;
        const pipeline = app.redis.pipeline();
        for (const l of detail.leases) pipeline.hget(`${base}${l.buildId}`, `${l.type === 'stop' ? 'x' : 's'}lt`);
        const since = ((await pipeline.exec()) ?? []).map(([, v]) => (v ? Number(v) : null));
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
        if (app.queue.pauses.isPaused(ref.queue))
          throw new Errors.ClusterBusy(`dispatch of cluster ${cluster} is already paused; resume it first`);
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
        if (!resumed) throw new Errors.ClusterBusy(`dispatch of cluster ${cluster} is not paused`);
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

    app.get(
      '/v4/builds',
      {
        schema: {
          tags: ['console'],
          security,
          summary: 'Find builds by id, pipeline (id or name), job (id or name), event, cluster and state, each with its timeline',
          querystring: BuildSearchQuery,
          response: { 200: BuildSearchResult, ...errors },
        },
        onRequest: app.requireApiScope('admin', 'viewer', 'sdapi'),
      },
      async (request) => {
        const q = request.query;
        const limit = q.limit ?? 50;
        let ids: number[];
        if (q.buildId !== undefined) ids = [q.buildId];
        else {
          const criteria: Array<{ field: 'p' | 'pn' | 'j' | 'jn' | 'e' | 'c'; value: string | number }> = [];
          if (q.pipeline !== undefined)
            criteria.push(
              /^\d+$/.test(q.pipeline) ? { field: 'p', value: Number(q.pipeline) } : { field: 'pn', value: q.pipeline },
            );
          if (q.job !== undefined)
            criteria.push(/^\d+$/.test(q.job) ? { field: 'j', value: Number(q.job) } : { field: 'jn', value: q.job });
          if (q.eventId !== undefined) criteria.push({ field: 'e', value: q.eventId });
          if (q.cluster !== undefined) criteria.push({ field: 'c', value: q.cluster });
          ids = await app.console.index.find(criteria, q.state ? 2000 : limit);
        }
        const infos = await app.console.index.info(ids);
        const builds = [];
        let scanned = 0;
        for (const id of ids) {
          if (builds.length >= limit) break;
          scanned++;
          let status;
          try {
            status = await app.queue.scheduler.status(id);
          } catch (err) {
            if (err instanceof BrokerError && err.statusCode === 404) continue;
            throw err;
          }
          if (q.state && status.state !== q.state) continue;
          if (q.cluster && status.cluster !== null && status.cluster !== q.cluster) continue;
          builds.push(summaryOf(status, infos.get(id)!, app.config.screwdriverUiUrl));
        }
        return { builds, scanned };
      },
    );

    app.get(
      '/v4/buildClusters/awaiting',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: 'Clusters imported from Screwdriver that wait for their public key',
          response: { 200: Type.Array(AwaitingCluster), ...errors },
        },
        onRequest: reader,
      },
      async (request) => awaitingList(request.em),
    );

    app.delete(
      '/v4/buildClusters/awaiting/:name',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: 'Forget an imported cluster that awaits its key',
          params: Type.Object({ name: ClusterName }),
          response: { 204: Type.Null(), ...errors },
        },
        onRequest: admin,
      },
      async (request, reply) => {
        const removed = await request.em.nativeDelete(AwaitingClusterSchema, { name: request.params.name });
        if (removed === 0) throw new Errors.ClusterNotFound(`no imported cluster ${request.params.name} awaits a key`);
        return reply.code(204).send(null);
      },
    );

    const candidates = async (request: { em: import('@mikro-orm/postgresql').EntityManager }, apiUrl: string, token: string) => {
      const [sources, registered, awaiting] = await Promise.all([
        fetchScrewdriverClusters(apiUrl, token),
        app.clusterRegistry.list(request.em, {}),
        awaitingList(request.em),
      ]);
      return compare(sources, registered, awaiting);
    };

    app.post(
      '/v4/buildClusters/import/preview',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: "List a Screwdriver API's build clusters: which the broker has, which differ, which are missing",
          body: ImportSource,
          response: { 200: ImportPreview, ...errors },
        },
        onRequest: admin,
      },
      async (request) => ({
        apiUrl: request.body.apiUrl,
        clusters: await candidates(request, request.body.apiUrl, request.body.token),
      }),
    );

    app.post(
      '/v4/buildClusters/import',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: 'Import missing clusters of a Screwdriver API as registrations awaiting their key',
          body: ImportBody,
          response: { 200: ImportResult, ...errors },
        },
        onRequest: admin,
      },
      async (request) => {
        const list = await candidates(request, request.body.apiUrl, request.body.token);
        return importMissing(request.em, request.body.apiUrl, list, request.body.names, username(request));
      },
    );
  },
  { name: 'routes-console', dependencies: ['console'] },
);
