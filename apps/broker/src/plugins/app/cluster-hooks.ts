import fp from 'fastify-plugin';

/**
 * What the queues do when a cluster is deleted (the queue module provides it): `retire` refuses
 * (409) while the cluster's queue holds anything, else marks it so no build can enter it, before
 * the PostgreSQL delete; `seal` keeps it so after the commit, `lift` takes the mark back when the
 * delete failed, and `liftStale` undoes marks a broker that died mid-delete left on live clusters.
 */
export interface QueueLifecycle {
  retire(clusterName: string, queueKey: string): Promise<string>;
  seal(queueKey: string): Promise<void>;
  lift(queueKey: string, token: string): Promise<void>;
  liftStale(queueKeys: string[]): Promise<number>;
}

/**
 * Seams between the registry and the queues, so neither imports the other: `beforeDelete`
 * guards may refuse a delete (with the display queue name), and `queues` is set by the queue module.
 */
export interface ClusterHooks {
  beforeDelete: Array<(clusterName: string, queue: string) => Promise<void>>;
  queues: QueueLifecycle | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    clusterHooks: ClusterHooks;
  }
}

export default fp(
  async (app) => {
    app.decorate('clusterHooks', { beforeDelete: [], queues: null } satisfies ClusterHooks);
  },
  { name: 'cluster-hooks', dependencies: [] },
);
