import { queryOptions } from '@tanstack/react-query';
import type { BuildStatus } from '@buildcluster/protocol';
import { api } from './client';

export const buildKeys = {
  all: ['builds'] as const,
  detail: (buildId: number) => [...buildKeys.all, 'detail', buildId] as const,
};

/** GET /v4/builds/{buildId}: state, cluster, position in the queue, attempts and history. */
export function buildQuery(buildId: number) {
  return queryOptions({
    queryKey: buildKeys.detail(buildId),
    queryFn: () => api.get<BuildStatus>(`/v4/builds/${buildId}`),
    retry: false,
  });
}
