import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, PeriodicListQuery, PeriodicScheduleList } from '@buildcluster/protocol';

/** Read-only view of the periodic build schedules, for admins and viewers (the console's roles). */
export default fp(
  async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/v4/periodic',
      {
        schema: {
          tags: ['console'],
          security: [{ apiToken: [] }],
          summary: 'Periodic build schedules (screwdriver.cd/buildPeriodically)',
          description:
            'Every job Screwdriver registered with ?type=periodic: its cron as given and as it runs (H replaced, UTC), ' +
            'the next tick, the last tick and its outcome, and ticks claimed but not yet sent. Active first, soonest first.',
          querystring: PeriodicListQuery,
          response: { 200: PeriodicScheduleList, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
        },
        onRequest: app.requireApiScope('admin', 'viewer'),
      },
      async (request) => app.periodic.schedules.list(request.query),
    );
  },
  { name: 'routes-periodic', dependencies: ['periodic', 'auth'] },
);
