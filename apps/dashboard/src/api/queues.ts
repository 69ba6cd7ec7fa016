import type { QueryClient } from '@tanstack/react-query';
import type { DeadBuild, QueueDetail, QueueStats } from '@buildcluster/protocol';
import { api } from './client';
import { getQuery } from './get-query';

const path = (cluster: string) => `/v4/queues/${encodeURIComponent(cluster)}`;

export const queueKeys = {
  all: ['queues'] as const,
  list: () => [...queueKeys.all, 'list'] as const,
  detail: (cluster: string) => [...queueKeys.all, 'detail', cluster] as const,
  dead: (cluster: string) => [...queueKeys.all, 'dead', cluster] as const,
};

/** Figures of every queue; the live socket replaces this data every second. */
export const queuesQuery = () => getQuery<QueueStats[]>(queueKeys.list(), '/v4/queues');

/** One queue with its in-flight leases and the next queued builds. */
export const queueQuery = (cluster: string) => getQuery<QueueDetail>(queueKeys.detail(cluster), path(cluster));

export const deadLettersQuery = (cluster: string) => getQuery<DeadBuild[]>(queueKeys.dead(cluster), `${path(cluster)}/dead`);

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
