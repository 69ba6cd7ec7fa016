import { queryOptions, type QueryClient } from '@tanstack/react-query';
import type { DeadBuild, QueueDetail, QueueStats } from '@buildcluster/protocol';
import { api } from './client';

const path = (cluster: string) => `/v4/queues/${encodeURIComponent(cluster)}`;

export const queueKeys = {
  all: ['queues'] as const,
  list: () => [...queueKeys.all, 'list'] as const,
  detail: (cluster: string) => [...queueKeys.all, 'detail', cluster] as const,
  dead: (cluster: string) => [...queueKeys.all, 'dead', cluster] as const,
};

/** Figures of every queue; the live socket replaces this data every second. */
export function queuesQuery() {
  return queryOptions({
    queryKey: queueKeys.list(),
    queryFn: () => api.get<QueueStats[]>('/v4/queues'),
  });
}

/** One queue with its in-flight leases and the next queued builds. */
export function queueQuery(cluster: string) {
  return queryOptions({
    queryKey: queueKeys.detail(cluster),
    queryFn: () => api.get<QueueDetail>(path(cluster)),
  });
}

export function deadLettersQuery(cluster: string) {
  return queryOptions({
    queryKey: queueKeys.dead(cluster),
    queryFn: () => api.get<DeadBuild[]>(`${path(cluster)}/dead`),
  });
}

export const requeueDeadBuild = (cluster: string, buildId: number) =>
  api.post<unknown>(`${path(cluster)}/dead/${buildId}/requeue`);

/** Applies a stats snapshot to every cached queue (list and details) without refetching. */
export function storeQueueStats(client: QueryClient, queues: QueueStats[]): void {
  client.setQueryData(queueKeys.list(), queues);
  for (const stats of queues) {
    client.setQueryData(queueKeys.detail(stats.cluster), (detail: QueueDetail | undefined) =>
      detail ? { ...detail, ...stats } : detail,
    );
  }
}
