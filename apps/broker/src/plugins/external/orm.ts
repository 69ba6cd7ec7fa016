import fp from 'fastify-plugin';
import { ConnectionException, DriverException, ServerException } from '@mikro-orm/core';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { ERROR_CODES } from '@buildcluster/protocol';
import { ormOptions } from '../../db/orm-options.js';
import { Errors } from '../../errors.js';
import { isConnectionErrno } from './socket-errors.js';

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
 * SQLSTATEs of a server that cannot serve: class 08 (connection exception), 53300 (too many
 * connections), 57P01-57P03 (shutting down, crashed, starting up).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[123])$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

type UnavailableDetails = ConstructorParameters<typeof Errors.Unavailable>[0];

/** Whether a driver error says the server never answered (as opposed to refusing the query). */
function unanswered(err: { code?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  return isConnectionErrno(err) || UNAVAILABLE_SQLSTATE.test(code) || !SQLSTATE.test(code);
}

/**
 * The 503 for a query PostgreSQL did not serve. MikroORM wraps every driver error in a
 * DriverException carrying the driver's `code`: a ConnectionException, a socket errno, a
 * SQLSTATE of an unavailable server, or no SQLSTATE at all on a client-side failure (pg's
 * connect timeout, a connection cut mid-query) mean the server never answered.
 */
export function databaseUnavailable(err: unknown): InstanceType<typeof Errors.Unavailable> | null {
  if (!(err instanceof DriverException)) return null;
  // Thrown by throwUnavailableOnAcquire below inside a query, and wrapped by MikroORM (which copies its fields).
  if (err.code === ERROR_CODES.UNAVAILABLE)
    return new Errors.Unavailable((err as unknown as { details: UnavailableDetails }).details);
  const lost = err instanceof ConnectionException || (!(err instanceof ServerException) && unanswered(err));
  return lost ? new Errors.Unavailable({ service: 'PostgreSQL', cause: err.message }) : null;
}

/**
 * knex takes every connection through its client's acquireConnection, before any query, where
 * MikroORM does not convert errors (a transaction's begin gets pg's plain Error). A connection
 * PostgreSQL would not give (refused, timed out, the pool waiting too long) is thrown from there
 * as Unavailable; a refusal with a SQLSTATE (a wrong password, no such database) stays as it is.
 */
function throwUnavailableOnAcquire(orm: MikroORM): void {
  const client = orm.em.getConnection().getKnex().client as { acquireConnection(): Promise<unknown> };
  const acquire = client.acquireConnection.bind(client);
  client.acquireConnection = async () => {
    try {
      return await acquire();
    } catch (err) {
      if (err instanceof Error && unanswered(err as { code?: unknown })) {
        throw new Errors.Unavailable({ service: 'PostgreSQL', cause: err.message });
      }
      throw err;
    }
  };
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
    throwUnavailableOnAcquire(orm);
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
