import { Type } from 'typebox';
import {
  BuildCluster,
  ClusterNameParams,
  CreateClusterBody,
  ErrorBody,
  ListClustersQuery,
  UpdateClusterBody,
} from '@buildcluster/protocol';
import { apiErrors as errors, apiGuards, apiSecurity as security, routePlugin, username } from '../route-kit.js';

const tags = ['clusters'];

const RebuildResult = Type.Object({
  clusters: Type.Integer({ description: 'clusters now in the cache' }),
  generation: Type.Integer({ description: 'the cache generation after the rebuild' }),
});

/** The cluster registry API (README "API", the /v4/buildClusters routes), admin scope. Paths are case-insensitive (`/v4/buildclusters` too). */
export default routePlugin(
  async (app) => {
    // Reads are open to cluster maintainers too (viewer: sees everything, changes nothing).
    const { admin, reader } = apiGuards(app);

    // Screwdriver's registry uses PUT on the collection; POST is the REST habit. Both create.
    for (const method of ['PUT', 'POST'] as const) {
      app.route({
        method,
        url: '/v4/buildClusters',
        schema: {
          tags,
          security,
          summary: 'Register a build cluster',
          body: CreateClusterBody,
          response: { 201: BuildCluster, 409: ErrorBody, ...errors },
        },
        onRequest: admin,
        handler: async (request, reply) =>
          reply.code(201).send(await app.clusterRegistry.create(request.em, request.body, username(request))),
      });
    }

    app.get(
      '/v4/buildClusters',
      {
        schema: {
          tags,
          security,
          summary: 'List build clusters',
          querystring: ListClustersQuery,
          response: { 200: Type.Array(BuildCluster), ...errors },
        },
        onRequest: reader,
      },
      async (request) => app.clusterRegistry.list(request.em, request.query),
    );

    app.get(
      '/v4/buildClusters/:name',
      {
        schema: {
          tags,
          security,
          summary: 'One build cluster',
          params: ClusterNameParams,
          response: { 200: BuildCluster, 404: ErrorBody, ...errors },
        },
        onRequest: reader,
      },
      async (request) => app.clusterRegistry.get(request.em, request.params.name),
    );

    app.put(
      '/v4/buildClusters/:name',
      {
        schema: {
          tags,
          security,
          summary: 'Update a build cluster; a new publicKey starts a key rotation',
          params: ClusterNameParams,
          body: UpdateClusterBody,
          response: { 200: BuildCluster, 404: ErrorBody, 409: ErrorBody, ...errors },
        },
        onRequest: admin,
      },
      async (request) => app.clusterRegistry.update(request.em, request.params.name, request.body, username(request)),
    );

    app.delete(
      '/v4/buildClusters/:name',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a build cluster (409 while its queue holds queued or leased builds)',
          params: ClusterNameParams,
          response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody, ...errors },
        },
        onRequest: admin,
      },
      async (request, reply) => {
        await app.clusterRegistry.delete(request.em, request.params.name, username(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/v4/buildClusters/cache/rebuild',
      {
        schema: {
          tags,
          security,
          summary: 'Rebuild the Redis cluster cache from PostgreSQL (every replica reloads it)',
          response: { 200: RebuildResult, ...errors },
        },
        onRequest: admin,
      },
      async (request) => {
        const result = await app.clusterCacheSync.rebuild();
        request.log.info({ audit: true, action: 'cache-rebuilt', username: username(request) }, 'cluster cache rebuilt');
        return result;
      },
    );
  },
  { name: 'routes-clusters', dependencies: ['orm', 'clusters', 'auth'] },
);
