import fp from 'fastify-plugin';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { ormOptions } from '../db/orm-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    orm: MikroORM;
  }
  interface FastifyRequest {
    /** This request's own EntityManager (identity map), forked from app.orm.em. */
    em: EntityManager;
  }
}

/**
 * PostgreSQL through MikroORM: the source of truth for the cluster registry. The broker starts
 * even when PostgreSQL is away (polling and acking go on from Redis); registry calls then answer 503.
 */
export default fp(
  async (app) => {
    const orm = await MikroORM.init({
      ...ormOptions(app.config.databaseUrl, app.config.dbPoolMax),
      // Connecting lazily lets the broker start while PostgreSQL is down; queries then fail → 503.
      connect: false,
      logger: (message) => app.log.debug({ orm: true }, message),
    });
    app.decorate('orm', orm);
    // Forked on first use, so requests that never touch PostgreSQL (polls) pay nothing.
    const forks = new WeakMap<object, EntityManager>();
    app.decorateRequest('em', {
      getter() {
        let em = forks.get(this);
        if (!em) {
          em = orm.em.fork();
          forks.set(this, em);
        }
        return em;
      },
    });
    app.addHook('onClose', async () => {
      await orm.close(true);
    });
  },
  { name: 'orm', dependencies: ['config'] },
);
