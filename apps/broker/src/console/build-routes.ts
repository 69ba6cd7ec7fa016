import { BuildSearchQuery, BuildSearchResult } from '@buildcluster/protocol';
import { BrokerError } from '../errors.js';
import { summaryOf } from './build-index.js';
import { errors, security } from './route-common.js';
import { routePlugin } from '../routes/route-kit.js';

/** Build search (admin, viewer, and Screwdriver's API): by id, pipeline, job, event, cluster and state, with timelines. */
export default routePlugin(
  async (app) => {
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
  },
  { name: 'routes-console-builds', dependencies: ['config', 'redis', 'orm', 'clusters', 'auth', 'queue', 'console'] },
);
