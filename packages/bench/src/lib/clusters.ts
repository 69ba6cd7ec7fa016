import type { Redis } from 'ioredis';
import type { JsonClient } from './http.js';
import { generateClusterCredentials, type ClusterCredentials } from './keys.js';
import { SCM_CONTEXT, SCM_ORGANIZATION } from './payload.js';

/** Cluster names of a run: c000, c001, ... */
export function clusterNames(count: number, prefix = 'c'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
}

/** Registers clusters through the admin API (PUT /v4/buildClusters), a few at a time. */
export async function registerClusters(client: JsonClient, adminToken: string, names: string[]): Promise<ClusterCredentials[]> {
  const credentials = names.map((name) => generateClusterCredentials(name));
  for (let i = 0; i < credentials.length; i += 10) {
    await Promise.all(
      credentials.slice(i, i + 10).map(async (cluster) => {
        const answer = await client.request('PUT', '/v4/buildClusters', {
          token: adminToken,
          body: {
            name: cluster.name,
            scmOrganization: SCM_ORGANIZATION,
            scmContext: SCM_CONTEXT,
            managedBy: 'screwdriver',
            publicKey: cluster.publicKey,
            signOption: cluster.signOption,
            description: 'benchmark cluster',
          },
          timeoutMs: 30_000,
        });
        if (answer.status !== 201) throw new Error(`registering cluster ${cluster.name}: ${answer.status} ${answer.text}`);
      }),
    );
  }
  return credentials;
}

/**
 * A cluster's queue key in Redis, which is not its name, read from the broker's cluster cache.
 * `prefix` is the broker's key prefix, for a client that does not add it itself.
 */
export async function queueKeyOf(redis: Redis, cluster: string, prefix = ''): Promise<string> {
  const key = await redis.hget(`${prefix}{clusters}:cluster:${cluster}`, 'queueKey');
  if (!key) throw new Error(`the broker's cluster cache has no queue key for ${cluster}`);
  return key;
}
