import fp from 'fastify-plugin';

// Placeholder: to be implemented.
export default fp(async () => {}, { name: 'plugins-dashboard' });
