import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { ApiScope } from '@buildcluster/protocol';
import { verifyApiToken } from './api-tokens.js';
import { bearerString, decodeToken, type DecodedToken } from './bearer.js';
import { grantStillValid, owningCluster, verifyClusterToken, type ClusterTokenGrant } from './cluster-tokens.js';
import { TokenCache } from './token-cache.js';
import type { ApiUser } from './types.js';
import { BrokerError, Errors } from '../errors.js';

type ApiGrant = ApiUser & { expMs: number };

/**
 * Authentication (README "API", Authentication): `app.requireApiScope(...)` for admin and Screwdriver API routes,
 * `app.authenticateCluster` for worker routes. The two token kinds are never interchangeable.
 * Cluster keys come from `app.clusters` (Redis cache and in-process copy), never from PostgreSQL.
 */
export default fp(
  async (app) => {
    const apiKey = app.config.apiJwtPublicKey;
    const apiTokens = new TokenCache<ApiGrant>();
    const clusterTokens = new TokenCache<ClusterTokenGrant>();

    function apiUser(decoded: DecodedToken): ApiGrant {
      const cached = apiTokens.get(decoded.token);
      if (cached) return cached;
      const grant = verifyApiToken(decoded, apiKey);
      apiTokens.set(decoded.token, grant);
      return grant;
    }

    function isApiToken(decoded: DecodedToken): boolean {
      try {
        apiUser(decoded);
        return true;
      } catch {
        return false;
      }
    }

    app.decorate('requireApiScope', (...scopes: ApiScope[]) => {
      const needed = scopes.join(' or ');
      return async (request: FastifyRequest) => {
        const token = bearerString(request);
        // The hot path: a token this replica already verified is not even decoded again.
        let user = apiTokens.get(token);
        if (!user) {
          const decoded = decodeToken(token);
          try {
            user = apiUser(decoded);
          } catch (err) {
            if (err instanceof BrokerError && owningCluster(decoded, app.clusters.list())) {
              throw new Errors.ClusterTokenOnApiRoute({ needed });
            }
            throw err;
          }
        }
        if (!scopes.some((s) => user.scopes.includes(s))) {
          throw new Errors.ScopeRequired({ needed });
        }
        request.apiUser = { username: user.username, scopes: user.scopes };
      };
    });

    app.decorate('authenticateCluster', async (request: FastifyRequest) => {
      const token = bearerString(request);
      const name = (request.params as { cluster?: unknown } | undefined)?.cluster;
      if (typeof name !== 'string') throw new Errors.RouteNamesNoCluster();
      const cluster = await app.clusters.get(name);
      if (!cluster) throw new Errors.ClusterNotRegistered({ cluster: name });
      const cached = clusterTokens.get(token);
      if (cached && grantStillValid(cached, cluster)) {
        request.buildCluster = cluster;
        return;
      }
      const decoded = decodeToken(token);
      try {
        clusterTokens.set(decoded.token, verifyClusterToken(decoded, cluster));
      } catch (err) {
        if (isApiToken(decoded)) {
          throw new Errors.ApiTokenOnWorkerRoute();
        }
        const owner = owningCluster(
          decoded,
          app.clusters.list().filter((c) => c.name !== name),
        );
        if (owner) throw new Errors.WrongClusterToken({ cluster: name, owner: owner.name });
        throw err;
      }
      // Inactive clusters still authenticate: their workers drain what is already queued.
      request.buildCluster = cluster;
    });

    // A cluster whose keys or options changed: forget the tokens verified against its old copy.
    app.addHook('onReady', async () => {
      app.clusters.onChange?.((changed) => clusterTokens.deleteWhere((grant) => grant.cluster === changed));
    });
  },
  { name: 'auth', dependencies: ['config', 'clusters'] },
);
