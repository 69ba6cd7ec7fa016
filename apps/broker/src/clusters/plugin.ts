import fp from 'fastify-plugin';
import { ClusterCache } from './cache.js';
import { LocalClusterDirectory } from './directory.js';
import { ClusterRegistry } from './registry.js';
import { CacheSync } from './sync.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Registry writes and reads against PostgreSQL (the admin API). Hot paths use `app.clusters`. */
    clusterRegistry: ClusterRegistry;
    /** Rebuilds and reloads of the cluster cache. */
    clusterCacheSync: CacheSync;
  }
}

/** The cluster registry, its Redis cache and this replica's in-process directory (`app.clusters`). */
export default fp(
  async (app) => {
    const cache = new ClusterCache(app.redis);
    const directory = new LocalClusterDirectory(cache);
    const channel = app.channel('clusters');
    const sync = new CacheSync({
      orm: app.orm,
      redis: app.redis,
      channel,
      cache,
      directory,
      log: app.log,
      hooks: app.clusterHooks,
      reconcileMs: app.config.clusterReconcileSeconds * 1000,
    });
    const registry = new ClusterRegistry({
      cache,
      directory,
      sync,
      bus: app.bus,
      hooks: app.clusterHooks,
      log: app.log,
      keyRotationGraceSeconds: app.config.keyRotationGraceSeconds,
    });
    app.decorate('clusters', directory);
    app.decorate('clusterRegistry', registry);
    app.decorate('clusterCacheSync', sync);
    await app.subscriptions.on(channel, (message) => {
      sync.onMessage(message).catch((err: Error) => app.log.warn({ err: err.message }, 'cluster invalidation failed'));
    });
    await sync.start();
    app.addHook('onClose', async () => sync.stop());
  },
  { name: 'clusters', dependencies: ['config', 'redis', 'subscriber', 'bus', 'orm', 'cluster-hooks'] },
);
