import { Type } from 'typebox';
import { AwaitingCluster, ClusterName, ImportBody, ImportPreview, ImportResult, ImportSource } from '@buildcluster/protocol';
import { Errors } from '../errors.js';
import { AwaitingClusterSchema } from './entities.js';
import { awaitingList, compare, fetchScrewdriverClusters, importMissing } from './import.js';
import { errors, security, username } from './route-common.js';
import { apiGuards, routePlugin } from '../routes/route-kit.js';

/** Import from Screwdriver's /v4/buildclusters: clusters awaiting their key, a preview, the import (admin). */
export default routePlugin(
  async (app) => {
    const { admin, reader } = apiGuards(app);

    app.get(
      '/v4/buildClusters/awaiting',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: 'Clusters imported from Screwdriver that wait for their public key',
          response: { 200: Type.Array(AwaitingCluster), ...errors },
        },
        onRequest: reader,
      },
      async (request) => awaitingList(request.em),
    );

    app.delete(
      '/v4/buildClusters/awaiting/:name',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: 'Forget an imported cluster that awaits its key',
          params: Type.Object({ name: ClusterName }),
          response: { 204: Type.Null(), ...errors },
        },
        onRequest: admin,
      },
      async (request, reply) => {
        const removed = await request.em.nativeDelete(AwaitingClusterSchema, { name: request.params.name });
        if (removed === 0) throw new Errors.AwaitingClusterNotFound({ cluster: request.params.name });
        return reply.code(204).send(null);
      },
    );

    const candidates = async (request: { em: import('@mikro-orm/postgresql').EntityManager }, apiUrl: string, token: string) => {
      const [sources, registered, awaiting] = await Promise.all([
        fetchScrewdriverClusters(apiUrl, token),
        app.clusterRegistry.list(request.em, {}),
        awaitingList(request.em),
      ]);
      return compare(sources, registered, awaiting);
    };

    app.post(
      '/v4/buildClusters/import/preview',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: "List a Screwdriver API's build clusters: which the broker has, which differ, which are missing",
          body: ImportSource,
          response: { 200: ImportPreview, ...errors },
        },
        onRequest: admin,
      },
      async (request) => ({
        apiUrl: request.body.apiUrl,
        clusters: await candidates(request, request.body.apiUrl, request.body.token),
      }),
    );

    app.post(
      '/v4/buildClusters/import',
      {
        schema: {
          tags: ['clusters'],
          security,
          summary: 'Import missing clusters of a Screwdriver API as registrations awaiting their key',
          body: ImportBody,
          response: { 200: ImportResult, ...errors },
        },
        onRequest: admin,
      },
      async (request) => {
        const list = await candidates(request, request.body.apiUrl, request.body.token);
        return importMissing(request.em, request.body.apiUrl, list, request.body.names, username(request));
      },
    );
  },
  { name: 'routes-console-import', dependencies: ['config', 'redis', 'orm', 'clusters', 'auth', 'queue', 'console'] },
);
