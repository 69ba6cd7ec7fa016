import type { QueryClient } from '@tanstack/react-query';
import type { BuildCluster, CreateClusterBody, UpdateClusterBody } from '@buildcluster/protocol';
import { api } from './client';
import { getQuery } from './get-query';

const path = (name: string) => `/v4/buildClusters/${encodeURIComponent(name)}`;

export const clusterKeys = {
  all: ['clusters'] as const,
  list: () => [...clusterKeys.all, 'list'] as const,
  detail: (name: string) => [...clusterKeys.all, 'detail', name] as const,
};

/** Every registered cluster. Filtering happens in the page, so it is instant and the socket keeps one list fresh. */
export const clustersQuery = () => getQuery<BuildCluster[]>(clusterKeys.list(), '/v4/buildClusters');

export const clusterQuery = (name: string) => getQuery<BuildCluster>(clusterKeys.detail(name), path(name));

export const createCluster = (body: CreateClusterBody) => api.put<BuildCluster>('/v4/buildClusters', body);
export const updateCluster = (name: string, body: UpdateClusterBody) => api.put<BuildCluster>(path(name), body);
export const deleteCluster = (name: string) => api.delete<void>(path(name));

/** Puts a cluster the API just answered into the cache, list included, so no refetch is needed. */
export function storeCluster(client: QueryClient, cluster: BuildCluster): void {
  client.setQueryData(clusterKeys.detail(cluster.name), cluster);
  client.setQueryData(clusterKeys.list(), (list: BuildCluster[] | undefined) => {
    if (!list) return list;
    const index = list.findIndex((c) => c.name === cluster.name);
    if (index === -1) return [...list, cluster].sort((a, b) => a.name.localeCompare(b.name));
    return list.map((c, i) => (i === index ? cluster : c));
  });
}

export function forgetCluster(client: QueryClient, name: string): void {
  client.removeQueries({ queryKey: clusterKeys.detail(name), exact: true });
  client.setQueryData(clusterKeys.list(), (list: BuildCluster[] | undefined) => list?.filter((c) => c.name !== name));
}
