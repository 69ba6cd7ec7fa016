import { mintClusterToken } from '@buildcluster/testkit/clusters';
import { ecPair, rsaPair } from '@buildcluster/testkit/keys';
import type { E2EBroker } from './broker.js';

/** A cluster registered for a test, with the private key its worker signs with. */
export interface TestCluster {
  name: string;
  privateKey: string;
  publicKey: string;
  signOption: { issuer: string; subject: string; audience: string; expiresIn: number; algorithm: 'ES256' };
}

export interface LeasedJob {
  leaseId: string;
  buildId: number;
  attempt: number;
}

let sequence = 0;
/** Names and build ids unique across tests that share one broker. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(sequence++).toString(36)}`;
let nextBuild = (Date.now() % 1_000_000) * 100;
export const newBuildId = () => ++nextBuild;

export const ecKeyPair = () => ecPair();

export const rsaPublicKey = (): string => rsaPair().publicKey;

/** What the tests do outside the browser: Screwdriver's calls, a cluster's worker, admin set-up. */
export class Api {
  constructor(readonly broker: E2EBroker) {}

  async call<T>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.broker.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async registerCluster(name = unique('e2e'), extra: Record<string, unknown> = {}): Promise<TestCluster> {
    const { publicKey, privateKey } = ecKeyPair();
    const signOption = {
      issuer: name,
      subject: `${name}-worker`,
      audience: 'buildcluster-broker',
      expiresIn: 3600,
      algorithm: 'ES256' as const,
    };
    const res = await this.call('PUT', '/v4/buildClusters', this.broker.adminToken, {
      name,
      scmOrganization: 'acme',
      scmContext: 'github:github.com',
      managedBy: 'screwdriver',
      publicKey,
      signOption,
      ...extra,
    });
    if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return { name, privateKey, publicKey, signOption };
  }

  /** Screwdriver's start call for a build pinned to `cluster`. */
  async schedule(
    cluster: string,
    buildId = newBuildId(),
    build: { pipelineId?: number; pipelineName?: string; jobId?: number; jobName?: string; eventId?: number } = {},
  ): Promise<number> {
    const pipelineId = build.pipelineId ?? 11;
    const res = await this.call('POST', '/v1/queue/message', this.broker.sdapiToken, {
      buildId,
      jobId: build.jobId ?? 7,
      eventId: build.eventId ?? 3,
      pipelineId,
      jobName: build.jobName ?? 'main',
      buildClusterName: cluster,
      pipeline: { id: pipelineId, name: build.pipelineName ?? 'acme/app', scmContext: 'github:github.com' },
    });
    if (res.status !== 201) throw new Error(`schedule ${buildId}: ${res.status} ${JSON.stringify(res.body)}`);
    if ((res.body as { state?: string }).state === 'pending') await this.untilQueued(buildId);
    return buildId;
  }

  /**
   * A build posted right after its cluster was registered can arrive before the broker's copy of
   * the clusters has it, and wait as pending a moment: the drain queues it once the copy catches up.
   */
  private async untilQueued(buildId: number): Promise<void> {
    const until = Date.now() + 15_000;
    for (;;) {
      const res = await this.call<{ state: string }>('GET', `/v4/builds/${buildId}`, this.broker.adminToken);
      if (res.status === 200 && res.body.state !== 'pending') return;
      if (Date.now() > until) throw new Error(`build ${buildId} is still pending after 15 s: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Screwdriver's start call for a build of an SCM context no cluster serves (yet): it waits as pending. */
  async schedulePending(scmContext: string, buildId = newBuildId()): Promise<number> {
    const res = await this.call<{ state: string }>('POST', '/v1/queue/message', this.broker.sdapiToken, {
      buildId,
      jobId: 7,
      pipeline: { id: 12, name: 'acme/app', scmContext },
    });
    if (res.status !== 201 || res.body.state !== 'pending')
      throw new Error(`schedule ${buildId}: ${res.status} ${JSON.stringify(res.body)}`);
    return buildId;
  }

  /** Screwdriver's start call for a build of `jobId` with blockedBy: the broker's answer (queued or blocked). */
  async scheduleBlockedBy(cluster: string, jobId: number, blockedBy: number[], buildId = newBuildId()) {
    const res = await this.call<{ state: string }>('POST', '/v1/queue/message', this.broker.sdapiToken, {
      buildId,
      jobId,
      blockedBy,
      pipelineId: 11,
      buildClusterName: cluster,
      pipeline: { id: 11, name: 'acme/app', scmContext: 'github:github.com' },
    });
    if (res.status !== 201) throw new Error(`schedule ${buildId}: ${res.status} ${JSON.stringify(res.body)}`);
    return { buildId, state: res.body.state };
  }

  /** Screwdriver's stop, sent when a build ends: the builds it blocked start. */
  async stop(buildId: number, jobId: number): Promise<void> {
    const res = await this.call('DELETE', '/v1/queue/message', this.broker.sdapiToken, { buildId, jobId });
    if (res.status !== 200) throw new Error(`stop ${buildId}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** A worker of `cluster`, speaking the worker protocol with a token signed by the cluster's key. */
  worker(cluster: TestCluster, workerId = `${cluster.name}-w1`) {
    const token = () => mintClusterToken(cluster.privateKey, cluster.signOption, { expiresIn: 600 });
    const base = `/v4/queues/${encodeURIComponent(cluster.name)}`;
    return {
      poll: async (max = 1): Promise<LeasedJob[]> => {
        const res = await this.call<{ jobs: LeasedJob[] }>(
          'POST',
          `${base}/poll`,
          token(),
          { workerId, max, waitMs: 0 },
          {
            'user-agent': 'buildcluster-worker/0.1.0 (e2e)',
          },
        );
        if (res.status === 204) return [];
        if (res.status !== 200) throw new Error(`poll: ${res.status} ${JSON.stringify(res.body)}`);
        return res.body.jobs;
      },
      ack: async (jobs: LeasedJob[]) => {
        const res = await this.call<{ acked: string[] }>('POST', `${base}/ack`, token(), {
          leaseIds: jobs.map((j) => j.leaseId),
        });
        if (res.status !== 200 || res.body.acked.length !== jobs.length)
          throw new Error(`ack: ${res.status} ${JSON.stringify(res.body)}`);
      },
      nack: async (jobs: LeasedJob[], reason: string) => {
        const res = await this.call('POST', `${base}/nack`, token(), { leaseIds: jobs.map((j) => j.leaseId), reason });
        if (res.status !== 200) throw new Error(`nack: ${res.status} ${JSON.stringify(res.body)}`);
      },
      extend: async (jobs: LeasedJob[], leaseMs: number) => {
        const res = await this.call('POST', `${base}/extend`, token(), { leaseIds: jobs.map((j) => j.leaseId), leaseMs });
        if (res.status !== 200) throw new Error(`extend: ${res.status} ${JSON.stringify(res.body)}`);
      },
    };
  }
}
