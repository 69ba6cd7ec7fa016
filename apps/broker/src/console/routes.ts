import fp from 'fastify-plugin';
import buildRoutes from './build-routes.js';
import importRoutes from './import-routes.js';
import queueRoutes from './queue-routes.js';

/** The console's routes: reads for admin and viewer, every change for admin only. */
export default fp(
  async (app) => {
    await app.register(queueRoutes);
    await app.register(buildRoutes);
    await app.register(importRoutes);
  },
  { name: 'routes-console', dependencies: ['config', 'redis', 'orm', 'clusters', 'auth', 'queue', 'console'] },
);
