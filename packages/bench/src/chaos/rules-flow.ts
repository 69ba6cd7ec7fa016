import { JsonClients } from '../lib/http.js';
import { startMessage } from '../lib/payload.js';
import { seededRandom } from '@buildcluster/testkit/random';
import { sleep, wallNow } from '../lib/log.js';
import type { LedgerTail, LedgerWriter } from './ledger.js';

/**
 * Screwdriver's build rules in the chaos run. The rules builds belong to `RULES_JOBS` jobs in
 * pairs: each job's blockedBy names itself and its partner, so two builds of one pair must never
 * run at once. Collapse is off, so every build runs. The client plays the rest of Screwdriver's
 * part: once a build is acked (it ran on its worker), it sends the stop the API sends when a
 * build ends, and a few of those stops are followed at once by a SIGKILL of the replica that got
 * them, in the middle of the release they cause.
 */
export const RULES_JOBS = 4;
const FIRST_JOB = 900_001;

export const rulesJobOf = (buildId: number): number => FIRST_JOB + (buildId % RULES_JOBS);
const partner = (jobId: number): number => FIRST_JOB + ((jobId - FIRST_JOB) ^ 1);
/** Whether builds of these two jobs block each other. */
export const blockEachOther = (a: number, b: number): boolean => a === b || partner(a) === b;

export function rulesMessage(buildId: number, cluster: string): Record<string, unknown> {
  const jobId = rulesJobOf(buildId);
  return {
    ...startMessage(buildId, cluster),
    jobId,
    blockedBy: [jobId, partner(jobId)],
    annotations: { 'screwdriver.cd/collapseBuilds': false },
  };
}

export interface StopperOptions {
  replicas: Array<() => string>;
  sdapiToken: string;
  adminToken: string;
  /** the rules builds' ids */
  builds: number[];
  /** how long a build "runs" after its ack before Screwdriver stops it, ms */
  runMinMs: number;
  runMaxMs: number;
  /** SIGKILL (and restart) the replica that was just sent a stop; false when it cannot be killed now */
  killDuringRelease: (replica: number) => Promise<boolean>;
  /** stops after which a replica is killed: about every `killEvery`th, at most `kills` times */
  killEvery: number;
  kills: number;
  seed: number;
}

export class RulesStopper {
  stopped = 0;
  failures = 0;
  releaseKills = 0;
  private readonly pending = new Set<number>();
  private readonly due = new Map<number, number>();
  private readonly running: Array<Promise<void>> = [];
  private readonly clients = new JsonClients({ maxSockets: 8 });
  private readonly random;
  private stopping = false;
  private nextKill: number;
  private loop: Promise<void> | null = null;
  private error: Error | null = null;

  constructor(
    private readonly options: StopperOptions,
    private readonly tail: LedgerTail,
    private readonly ledger: LedgerWriter,
  ) {
    for (const id of options.builds) this.pending.add(id);
    this.random = seededRandom(options.seed + 7);
    this.nextKill = options.killEvery;
  }

  get remaining(): number {
    return this.pending.size;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Waits until every rules build was stopped (or the time is up), then ends the loop. */
  async finish(timeoutMs: number): Promise<void> {
    const end = wallNow() + timeoutMs;
    while (this.pending.size > 0 && wallNow() < end && !this.error) await sleep(100);
    this.stopping = true;
    await this.loop;
    await Promise.all(this.running);
    this.clients.close();
    if (this.error) throw this.error;
  }

  /**
   * A build acked at the broker whose ack answer died with a killed worker is in no ledger: ask
   * the broker about the oldest unstopped build of each job (builds of a job start in arrival
   * order, so only that one can be running), and stop it too once the broker says acked.
   */
  private async askBroker(): Promise<void> {
    const oldest = new Map<number, number>();
    for (const id of this.pending) {
      const job = rulesJobOf(id);
      if (!this.due.has(id) && id < (oldest.get(job) ?? Infinity)) oldest.set(job, id);
    }
    await Promise.all(
      [...oldest.values()].map(async (id) => {
        const answer = await this.clients
          .for(this.options.replicas[id % this.options.replicas.length]!())
          .request<{ state: string }>('GET', `/v4/builds/${id}`, { token: this.options.adminToken, timeoutMs: 5000 })
          .catch(() => null);
        if (answer?.status === 200 && answer.body.state === 'acked' && !this.due.has(id)) this.due.set(id, wallNow());
      }),
    );
  }

  private async run(): Promise<void> {
    let asked = wallNow();
    while (!this.stopping) {
      await sleep(20);
      this.tail.poll();
      if (wallNow() - asked > 3000) {
        await this.askBroker();
        asked = wallNow();
      }
      const now = wallNow();
      for (const id of this.pending) {
        const acked = this.tail.ackedAt.get(id);
        if (acked !== undefined && !this.due.has(id)) {
          const run = this.options.runMinMs + this.random() * (this.options.runMaxMs - this.options.runMinMs);
          this.due.set(id, acked + run);
        }
        const at = this.due.get(id);
        if (at !== undefined && at <= now) {
          this.pending.delete(id);
          const stop = this.stopOne(id).catch((err: Error) => void (this.error ??= err));
          this.running.push(stop);
        }
      }
    }
  }

  private async stopOne(buildId: number): Promise<void> {
    const jobId = rulesJobOf(buildId);
    const body = JSON.stringify({ buildId, jobId });
    const sentAt = wallNow();
    const n = ++this.stopped;
    // A kill refused (a replica is being restarted already) is tried again on the next stop.
    const killAfter = this.releaseKills < this.options.kills && n >= this.nextKill;
    let killedReplica: number | undefined;
    for (let tries = 1; ; tries++) {
      const replica = (buildId + tries - 1) % this.options.replicas.length;
      // Settled at once into a value: the request may fail while the kill below is under way.
      const request = this.clients
        .for(this.options.replicas[replica]!())
        .request('DELETE', '/v1/queue/message', { rawBody: body, token: this.options.sdapiToken, timeoutMs: 10_000 })
        .then(
          (answer) => ({ answer, failure: null }),
          (err: Error) => ({ answer: null, failure: err }),
        );
      if (killAfter && tries === 1) {
        // The stop is on its way: kill the replica a moment later, before, during or after the release.
        await sleep(this.random() * 3);
        if (await this.options.killDuringRelease(replica)) {
          this.releaseKills++;
          this.nextKill = n + this.options.killEvery;
          killedReplica = replica;
        }
      }
      let error: string;
      try {
        const { answer, failure } = await request;
        if (!answer) throw failure;
        if (answer.status === 200) {
          this.ledger.write({ e: 'stop', buildId, jobId, sentAt, answeredAt: wallNow(), status: 200, tries, killedReplica });
          return;
        }
        if (answer.status < 500)
          throw new Error(
            `DELETE /v1/queue/message for build ${buildId} answered ${answer.status}: ${answer.text.slice(0, 300)}`,
          );
        error = `${answer.status} ${answer.text.slice(0, 120)}`;
      } catch (err) {
        if ((err as Error).message.startsWith('DELETE /v1/queue/message for build')) throw err;
        error = (err as Error).message;
      }
      this.failures++;
      this.ledger.write({ e: 'stop-failure', buildId, replica, error, t: wallNow() });
      if (wallNow() - sentAt > 60_000) throw new Error(`build ${buildId}: its stop got no 200 within 60 s; last error: ${error}`);
      await sleep(Math.min(1000, 50 * 2 ** Math.min(tries, 5)));
    }
  }
}
