import fp from 'fastify-plugin';
import queueAdmin from './admin.js';
import workerProtocol from './worker.js';

/** The queues' routes: the worker protocol (cluster tokens) apart from their administration (API tokens). */
export default fp(
  async (app) => {
    await app.register(workerProtocol);
    await app.register(queueAdmin);
  },
  { name: 'routes-queues', dependencies: ['auth', 'queue'] },
);
