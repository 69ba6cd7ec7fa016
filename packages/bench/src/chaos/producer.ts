import { JsonClients } from '../lib/http.js';
import { startMessage } from '../lib/payload.js';
import { sleep, wallNow } from '../lib/log.js';
import type { LedgerWriter } from './ledger.js';
import type { EnqueueResult } from '@buildcluster/protocol';

export interface ProducerOptions {
  replicas: Array<() => string>;
  sdapiToken: string;
  clusters: string[];
  builds: number;
  /** builds per second over all clusters */
  rate: number;
  firstBuildId: number;
  /** give up on one build after this long without a 200/201 */
  postDeadlineMs: number;
  /** the start message of a build (default: one naming `cluster`) */
  message?: (buildId: number, cluster: string) => Record<string, unknown>;
  /** false: the builds may run on several clusters, so their post order is no FIFO order to check */
  fifo?: boolean;
}

/**
 * Screwdriver's side of the chaos run. Each cluster gets its own loop that posts one build at a
 * time: the next post to a cluster starts only once the previous one was answered 201 (or 200,
 * "already queued", for a retry whose first try got through before the connection died). That
 * makes `seq` a total order of enqueueing per cluster, which the FIFO check relies on. Posts
 * alternate between the replicas; a failure (no answer, 5xx) is retried on the other replica.
 */
export class ChaosProducer {
  posted = 0;
  failures = 0;
  private readonly clients = new JsonClients({ maxSockets: 16 });

  constructor(
    private readonly options: ProducerOptions,
    private readonly ledger: LedgerWriter,
  ) {}

  async run(): Promise<void> {
    const { clusters, builds, rate } = this.options;
    const started = wallNow();
    const perCluster = Math.ceil(builds / clusters.length);
    const loops = clusters.map(async (cluster, c) => {
      for (let seq = 0; seq < perCluster; seq++) {
        const n = seq * clusters.length + c;
        if (n >= builds) return;
        // Paced globally: build n is due at n / rate seconds after the start.
        const due = started + (n * 1000) / rate;
        const wait = due - wallNow();
        if (wait > 0) await sleep(wait);
        await this.postOne(this.options.firstBuildId + n, cluster, seq, n % this.options.replicas.length);
      }
    });
    await Promise.all(loops);
    this.clients.close();
  }

  private async postOne(buildId: number, cluster: string, seq: number, firstReplica: number): Promise<void> {
    const body = JSON.stringify((this.options.message ?? startMessage)(buildId, cluster));
    const firstSentAt = wallNow();
    const deadline = firstSentAt + this.options.postDeadlineMs;
    for (let tries = 1; ; tries++) {
      const replica = (firstReplica + tries - 1) % this.options.replicas.length;
      let error: string;
      try {
        const answer = await this.clients
          .for(this.options.replicas[replica]!())
          .request<EnqueueResult>('POST', '/v1/queue/message', {
            rawBody: body,
            token: this.options.sdapiToken,
            timeoutMs: 10_000,
          });
        if (answer.status === 201 || answer.status === 200) {
          this.ledger.write({
            e: 'post',
            buildId,
            cluster,
            seq,
            status: answer.status,
            state: answer.body.state,
            tries,
            firstSentAt,
            answeredAt: wallNow(),
            ...(this.options.fifo === false ? { fifo: false } : {}),
          });
          this.posted++;
          return;
        }
        if (answer.status < 500)
          throw new Error(`POST /v1/queue/message for build ${buildId} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
        error = `${answer.status} ${answer.text.slice(0, 120)}`;
      } catch (err) {
        if ((err as Error).message.startsWith('POST /v1/queue/message for build')) throw err;
        error = (err as Error).message;
      }
      this.failures++;
      this.ledger.write({ e: 'post-failure', buildId, cluster, replica, error, t: wallNow() });
      if (wallNow() > deadline)
        throw new Error(`build ${buildId}: no 200/201 within ${this.options.postDeadlineMs / 1000} s; last error: ${error}`);
      await sleep(Math.min(1000, 50 * 2 ** Math.min(tries, 5)));
    }
  }
}
