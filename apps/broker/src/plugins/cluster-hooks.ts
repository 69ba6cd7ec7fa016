import fp from 'fastify-plugin';

/**
 * Seams between the registry and the queues, so neither imports the other:
 * the queue module registers a `beforeDelete` guard (409 while the queue holds work).
 */
export interface ClusterHooks {
  beforeDelete: Array<(clusterName: string, queue: string) => Promise<void>>;
}

declare module 'fastify' {
  interface FastifyInstance {
    clusterHooks: ClusterHooks;
  }
}

export default fp(
  async (app) => {
    app.decorate('clusterHooks', { beforeDelete: [] } satisfies ClusterHooks);
  },
  { name: 'cluster-hooks' },
);
