import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AckResult, CreateClusterBody, PollBody, StartMessage } from '@buildcluster/protocol';
import { mintClusterToken, registration } from './clusters.js';

export { connectionsTo } from './sockets.js';

/**
 * For the queue route tests: clusters registered through the real registry API with real key
 * pairs, workers authenticated with real cluster tokens, Screwdriver start messages.
 */
export interface TestCluster {
  name: string;
  token: string;
  body: CreateClusterBody;
}

export async function registerCluster(
  app: FastifyInstance,
  adminToken: string,
  name: string,
  overrides: Partial<CreateClusterBody> = {},
): Promise<TestCluster> {
  const { body, keys } = registration(name, overrides);
  const res = await app.inject({
    method: 'PUT',
    url: '/v4/buildClusters',
    headers: { authorization: `Bearer ${adminToken}` },
    payload: body,
  });
  if (res.statusCode !== 201) throw new Error(`registering ${name}: ${res.statusCode} ${res.body}`);
  return { name, body, token: mintClusterToken(keys.privateKey, body.signOption) };
}

export async function updateCluster(
  app: FastifyInstance,
  adminToken: string,
  name: string,
  changes: Record<string, unknown>,
): Promise<void> {
  const res = await app.inject({
    method: 'PUT',
    url: `/v4/buildClusters/${name}`,
    headers: { authorization: `Bearer ${adminToken}` },
    payload: changes,
  });
  if (res.statusCode !== 200) throw new Error(`updating ${name}: ${res.statusCode} ${res.body}`);
}

export function startMessage(buildId: number, overrides: Partial<StartMessage> = {}): StartMessage {
  return {
    buildId,
    jobId: 7,
    eventId: 11,
    pipelineId: 3,
    jobName: 'main',
    pipeline: { id: 3, name: 'screwdriver-cd/ui', scmContext: 'github:github.com' },
    apiUri: 'https://api.screwdriver.example',
    container: 'node:20',
    isPR: false,
    ...overrides,
  };
}

export function postBuild(
  app: FastifyInstance,
  token: string,
  message: StartMessage,
  query = '',
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: `/v1/queue/message${query}`,
    headers: { authorization: `Bearer ${token}` },
    payload: message,
  });
}

export function stopBuild(app: FastifyInstance, token: string, buildId: number): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'DELETE',
    url: '/v1/queue/message',
    headers: { authorization: `Bearer ${token}` },
    payload: { buildId, jobId: 7 },
  });
}

export interface JobView {
  leaseId: string;
  buildId: number;
  type: 'start' | 'stop';
  attempt: number;
  enqueuedAt: string;
  leaseExpiresAt: string;
  message: Record<string, unknown>;
}

/** A worker of one cluster speaking the protocol through HTTP. */
export function workerOf(app: FastifyInstance, cluster: TestCluster) {
  const call = (verb: string, payload: unknown) =>
    app.inject({
      method: 'POST',
      url: `/v4/queues/${cluster.name}/${verb}`,
      headers: { authorization: `Bearer ${cluster.token}` },
      payload: payload as Record<string, unknown>,
    });
  return {
    call,
    /** A poll; `acked` and `rejected` are the outcome of the acks it carried (`body.ack`). */
    async poll(body: Partial<PollBody> = {}): Promise<{ status: number; jobs: JobView[] } & Partial<AckResult>> {
      const res = await call('poll', { workerId: 'w1', waitMs: 0, ...body });
      if (res.statusCode === 204) return { status: 204, jobs: [] };
      if (res.statusCode !== 200) throw new Error(`poll: ${res.statusCode} ${res.body}`);
      return { status: 200, ...res.json<{ jobs: JobView[] } & Partial<AckResult>>() };
    },
    async ack(leaseIds: string[]) {
      const res = await call('ack', { leaseIds });
      if (res.statusCode !== 200) throw new Error(`ack: ${res.statusCode} ${res.body}`);
      return res.json<AckResult>();
    },
    async extend(leaseIds: string[], leaseMs?: number) {
      const res = await call('extend', { leaseIds, ...(leaseMs ? { leaseMs } : {}) });
      if (res.statusCode !== 200) throw new Error(`extend: ${res.statusCode} ${res.body}`);
      return res.json<{
        extended: Array<{ leaseId: string; leaseExpiresAt: string }>;
        rejected: Array<{ leaseId: string; reason: string }>;
        stop: number[];
      }>();
    },
    async nack(leaseIds: string[], reason?: string) {
      const res = await call('nack', { leaseIds, ...(reason ? { reason } : {}) });
      if (res.statusCode !== 200) throw new Error(`nack: ${res.statusCode} ${res.body}`);
      return res.json<{ nacked: string[]; rejected: Array<{ leaseId: string; reason: string }> }>();
    },
  };
}

export { waitFor } from './wait.js';
