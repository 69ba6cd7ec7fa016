import { readFileSync } from 'node:fs';
import { Worker, WorkerClient, type AckResult, type Job, type PollOptions, type SignOption } from '@buildcluster/worker';
import { LedgerWriter } from './ledger.js';
import { seededRandom } from '@buildcluster/testkit/random';
import { wallNow } from '../lib/log.js';

/**
 * One chaos worker: the worker package's SDK (WorkerClient + Worker: long-poll, lease keeper,
 * ack/nack with retries, graceful stop) running a fake build of a few ms, with the client wrapped
 * so every poll answer and every ack answer lands in this process's ledger file first.
 */
export interface ChaosWorkerConfig {
  brokerUrl: string;
  cluster: string;
  privateKeyFile: string;
  signOption: SignOption;
  /** unique per process incarnation, e.g. w3-7 */
  workerId: string;
  ledgerFile: string;
  concurrency: number;
  buildMinMs: number;
  buildMaxMs: number;
  seed: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChaosWorkerConfig;
const ledger = new LedgerWriter(config.ledgerFile);
const random = seededRandom(config.seed);
/** leaseId → build and job type, for the ack lines (an ack carries only lease ids). */
const leaseBuild = new Map<string, { buildId: number; type: 'start' | 'stop' }>();

class LedgerClient extends WorkerClient {
  private polls = 0;

  override async poll(options: PollOptions = {}): Promise<Job[]> {
    let jobs: Job[];
    try {
      jobs = await super.poll(options);
    } catch (err) {
      const error = (err as Error).message.slice(0, 200);
      ledger.write({ e: 'poll-error', worker: config.workerId, cluster: config.cluster, error, t: wallNow() });
      throw err;
    }
    const poll = ++this.polls;
    const t = wallNow();
    for (const job of jobs) leaseBuild.set(job.leaseId, { buildId: job.buildId, type: job.type });
    ledger.write(
      jobs.map((job, index) => ({
        e: 'delivery' as const,
        worker: config.workerId,
        cluster: config.cluster,
        buildId: job.buildId,
        attempt: job.attempt,
        leaseId: job.leaseId,
        leaseExpiresAt: job.leaseExpiresAt,
        poll,
        index,
        t,
        type: job.type,
      })),
    );
    return jobs;
  }

  override async ack(leaseIds: string[], signal?: AbortSignal): Promise<AckResult> {
    const builds = new Map(leaseIds.map((id) => [id, leaseBuild.get(id) ?? { buildId: 0, type: 'start' as const }]));
    try {
      const answer = await super.ack(leaseIds, signal);
      const t = wallNow();
      ledger.write([
        ...answer.acked.map((leaseId) => ({
          e: 'ack' as const,
          worker: config.workerId,
          cluster: config.cluster,
          ...builds.get(leaseId)!,
          leaseId,
          answer: 'acked',
          t,
        })),
        ...answer.rejected.map((r) => ({
          e: 'ack' as const,
          worker: config.workerId,
          cluster: config.cluster,
          ...builds.get(r.leaseId)!,
          leaseId: r.leaseId,
          answer: r.reason,
          t,
        })),
      ]);
      return answer;
    } catch (err) {
      const t = wallNow();
      ledger.write(
        leaseIds.map((leaseId) => ({
          e: 'ack-error' as const,
          worker: config.workerId,
          cluster: config.cluster,
          buildId: builds.get(leaseId)!.buildId,
          leaseId,
          error: (err as Error).message.slice(0, 200),
          t,
        })),
      );
      throw err;
    }
  }
}

const client = new LedgerClient({
  brokerUrl: config.brokerUrl,
  cluster: config.cluster,
  privateKey: readFileSync(config.privateKeyFile, 'utf8'),
  signOption: config.signOption,
  workerId: config.workerId,
  requestTimeoutMs: 10_000,
});

const worker = new Worker({
  client,
  concurrency: config.concurrency,
  pollWaitMs: 5000,
  // A replica or Redis comes back within seconds in this run: retry soon, not after 30 s.
  backoff: { baseMs: 100, maxMs: 1000 },
  settleTimeoutMs: 60_000,
  handler: async () => {
    const ms = config.buildMinMs + random() * (config.buildMaxMs - config.buildMinMs);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return 'ok';
  },
});

process.on('SIGTERM', () => void worker.stop());
await worker.start();
process.exit(0);
