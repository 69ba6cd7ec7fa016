import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { scheduleClock } from './clock.js';
import { PeriodicSchedules } from './schedules.js';
import { PeriodicTicker } from './ticker.js';

/** Screwdriver's periodic builds (`screwdriver.cd/buildPeriodically`), kept in PostgreSQL. */
export interface Periodic {
  schedules: PeriodicSchedules;
  ticker: PeriodicTicker;
  /** The schedule clock: real time, unless PERIODIC_CLOCK_RATE (tests) makes it run faster. */
  now: () => Date;
  /** False without QUEUE_JWT_PRIVATE_KEY: the broker cannot start events as a pipeline's admin. */
  canStartEvents: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    periodic: Periodic;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const now = scheduleClock(config.periodicClockRate);
    const schedules = new PeriodicSchedules(app.orm, now);
    const ticks = new Counter({
      name: 'broker_periodic_ticks_total',
      help: 'Periodic build ticks, by outcome: claimed (due, written to the outbox), started (event created), retry, given_up, cancelled (schedule stopped first)',
      labelNames: ['outcome'] as const,
      registers: [app.metrics],
    });
    new Gauge({
      name: 'broker_periodic_schedules',
      help: 'Active periodic build schedules (screwdriver.cd/buildPeriodically)',
      registers: [app.metrics],
      async collect() {
        // PostgreSQL away: the figure is left as it was rather than failing the whole scrape.
        await schedules
          .activeCount()
          .then((n) => this.set(n))
          .catch(() => {});
      },
    });
    const ticker = new PeriodicTicker({
      orm: app.orm,
      now,
      events: app.screwdriver.adminEvents,
      log: app.log.child({ module: 'periodic' }),
      ticks,
      pollMs: config.periodicPollMs,
    });
    app.decorate('periodic', { schedules, ticker, now, canStartEvents: app.screwdriver.adminEvents !== null } satisfies Periodic);
    app.addHook('onReady', async () => {
      if (config.periodicPollMs > 0) ticker.start();
    });
    app.addHook('preClose', async () => ticker.stop());
  },
  { name: 'periodic', dependencies: ['config', 'orm', 'metrics', 'screwdriver'] },
);
