import { PeriodicListQuery, PeriodicScheduleList } from '@buildcluster/protocol';
import { apiErrors, apiSecurity, routePlugin } from '../route-kit.js';

/** Read-only view of the periodic build schedules, for admins and viewers (the console's roles). */
export default routePlugin(
  async (app) => {
    app.get(
      '/v4/periodic',
      {
        schema: {
          tags: ['console'],
          security: apiSecurity,
          summary: 'Periodic build schedules (screwdriver.cd/buildPeriodically)',
          description:
            'Every job Screwdriver registered with ?type=periodic: its cron as given and as it runs (H replaced, UTC), ' +
            'the next tick, the last tick and its outcome, and ticks claimed but not yet sent. Active first, soonest first.',
          querystring: PeriodicListQuery,
          response: { 200: PeriodicScheduleList, ...apiErrors },
        },
        onRequest: app.requireApiScope('admin', 'viewer'),
      },
      async (request) => app.periodic.schedules.list(request.query),
    );
  },
  { name: 'routes-periodic', dependencies: ['periodic', 'auth'] },
);
