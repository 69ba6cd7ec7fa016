import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonClients } from '../lib/http.js';
import { generateClusterCredentials, type ClusterCredentials } from '../lib/keys.js';
import { sleep, wallNow } from '../lib/log.js';
import { SCM_ORGANIZATION } from '../lib/payload.js';
import { WorkerFleet } from './fleet.js';

/**
 * What the chaos run adds around its main flow, so that cluster deletion is tested while builds
 * flow and a foreign cluster tries to get them:
 *
 * - churn: builds of their own scmContext, posted without a cluster name, go to whichever churn
 *   cluster is active. A new churn cluster is registered every second, named `churn-0` and
 *   `churn-1` in turn (so every deleted name is registered again), with a worker of its own; the one before it is
 *   deleted while builds keep arriving: DELETE is retried until the broker lets it through (an
 *   empty queue), deactivating the cluster after a while so that its workers drain it.
 * - intrusion: an external cluster of another organization whose `queue` is set to the queue name
 *   of a main cluster, with a worker polling all along. The ledger must never show it a build.
 */
export const CHURN_SCM_CONTEXT = 'gitlab:churn.example';
const INTRUDER_ORGANIZATION = 'intruder-org';

export interface ChurnOptions {
  replicas: Array<() => string>;
  adminToken: string;
  keyDir: string;
  ledgerDir: string;
  logDir: string;
  fleet: { concurrency: number; buildMinMs: number; buildMaxMs: number; seed: number };
}

interface Generation {
  name: string;
  fleet: WorkerFleet;
}

export class ClusterChurn {
  generations = 0;
  deletions = 0;
  /** DELETEs answered 409 (the queue held builds) before each one went through */
  refusedDeletes = 0;
  /** clusters outside the builds' organization: any delivery to one is a violation */
  readonly foreignClusters = new Set<string>();
  private readonly clients = new JsonClients();
  private readonly fleets: WorkerFleet[] = [];
  private stopping = false;
  private loop: Promise<void> | null = null;
  private calls = 0;

  constructor(private readonly options: ChurnOptions) {}

  /** One admin call, on the replicas in turn (the fault loop kills them); status 0 when none answered. */
  private async call(
    method: 'PUT' | 'DELETE',
    path: string,
    body?: Record<string, unknown>,
  ): Promise<{ status: number; text: string }> {
    const url = this.options.replicas[this.calls++ % this.options.replicas.length]!();
    return this.clients
      .for(url)
      .request(method, path, { token: this.options.adminToken, timeoutMs: 10_000, ...(body ? { body } : {}) })
      .catch((err: Error) => ({ status: 0, text: err.message }));
  }

  /** Registers the intruder with the main cluster's queue name, and starts its worker. */
  async startIntruder(victimQueue: string): Promise<void> {
    const name = 'intruder';
    const credentials = await this.register(name, {
      managedBy: 'external',
      scmOrganization: INTRUDER_ORGANIZATION,
      scmContext: 'github:github.com',
      queue: victimQueue,
      weightage: 0,
    });
    this.foreignClusters.add(name);
    this.startFleet(credentials, 'intruder', 1);
  }

  /** Starts the churn of clusters; runs until stop(). */
  start(): void {
    this.loop = this.churn();
  }

  /** Ends the churn, keeping the newest churn cluster (and its workers) so its queue drains. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** SIGTERM to every worker the churn and the intrusion started. */
  async stopWorkers(): Promise<void> {
    await Promise.all(this.fleets.map((fleet) => fleet.stopAll()));
    this.clients.close();
  }

  private async churn(): Promise<void> {
    let previous: Generation | null = null;
    for (let g = 0; !this.stopping; g++) {
      const name = `churn-${g % 2}`;
      const credentials = await this.register(name, {
        managedBy: 'screwdriver',
        scmOrganization: SCM_ORGANIZATION,
        scmContext: CHURN_SCM_CONTEXT,
      });
      const current = { name, fleet: this.startFleet(credentials, `churn${g}-`, 1) };
      this.generations++;
      await sleep(500);
      if (previous) await this.remove(previous);
      previous = current;
      await sleep(500);
    }
  }

  /** DELETE until it goes through; deactivated after a while so its workers can drain it. */
  private async remove(generation: Generation): Promise<void> {
    const started = wallNow();
    let deactivated = false;
    for (;;) {
      const answer = await this.call('DELETE', `/v4/buildClusters/${generation.name}`);
      // 404: an earlier try went through but its answer was lost with a killed replica.
      if (answer.status === 204 || answer.status === 404) break;
      if (answer.status === 409) this.refusedDeletes++;
      if (!deactivated && wallNow() - started > 1500) {
        deactivated = (await this.call('PUT', `/v4/buildClusters/${generation.name}`, { isActive: false })).status === 200;
      }
      await sleep(deactivated ? 50 : 5);
    }
    this.deletions++;
    await generation.fleet.stopAll();
  }

  private async register(name: string, fields: Record<string, unknown>): Promise<ClusterCredentials> {
    const credentials = generateClusterCredentials(name);
    for (let tries = 0; ; tries++) {
      const answer = await this.call('PUT', '/v4/buildClusters', {
        name,
        publicKey: credentials.publicKey,
        signOption: credentials.signOption,
        ...fields,
      });
      // 409 after a try whose answer was lost: that try registered it, with these very keys.
      if (answer.status === 201 || (answer.status === 409 && tries > 0)) return credentials;
      // A replica killed by the fault loop: try again.
      if ((answer.status === 0 || answer.status >= 500) && tries < 20) {
        await sleep(250);
        continue;
      }
      throw new Error(`registering cluster ${name}: ${answer.status} ${answer.text.slice(0, 300)}`);
    }
  }

  private startFleet(credentials: ClusterCredentials, idPrefix: string, size: number): WorkerFleet {
    const privateKeyFile = join(this.options.keyDir, `${idPrefix}${credentials.name}.key.pem`);
    writeFileSync(privateKeyFile, credentials.privateKey, { mode: 0o600 });
    const fleet = new WorkerFleet(
      size,
      [{ name: credentials.name, privateKeyFile, signOption: credentials.signOption }],
      this.options.replicas,
      { ...this.options.fleet, ledgerDir: this.options.ledgerDir, logDir: this.options.logDir, idPrefix },
    );
    fleet.startAll();
    this.fleets.push(fleet);
    return fleet;
  }
}
