import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** OpenAPI 3 generated from the route schemas: /docs (UI) and /docs/json. Register before routes. */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Build cluster broker',
          description: 'Routes Screwdriver builds to build clusters; cluster workers long-poll for them.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: {
            apiToken: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: 'Screwdriver API token (scope admin or sdapi)',
            },
            clusterToken: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: "Signed by the build cluster's own key",
            },
          },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
