import type { preHandlerAsyncHookHandler } from 'fastify';
import type { ApiScope } from '@buildcluster/protocol';
import type { CachedCluster } from '../clusters/types.js';

export interface ApiUser {
  username: string;
  scopes: ApiScope[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: a valid API token carrying at least one of the scopes (401 without a valid token, 403 without the scope). */
    requireApiScope(...scopes: ApiScope[]): preHandlerAsyncHookHandler;
    /** preHandler: a valid cluster token for the cluster named in the `cluster` path parameter. */
    authenticateCluster: preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    apiUser?: ApiUser;
    buildCluster?: CachedCluster;
  }
}
