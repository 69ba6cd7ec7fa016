import type { JsonClient } from '../lib/http.js';
import { progress, sleep, wallNow } from '../lib/log.js';
import { seededRandom } from '@buildcluster/testkit/random';
import { RedisServer } from '../lib/redis-server.js';
import type { ChaosRedisCluster } from './failover.js';
import type { ClusterChurn } from './churn.js';
import { faultSchedule } from './faults.js';
import type { WorkerFleet } from './fleet.js';
import type { LedgerTail } from './ledger.js';
import type { ChaosOptions } from './options.js';
import type { ChaosProducer } from './producer.js';
import type { ReplicaSet } from './replicas.js';
import type { RulesStopper } from './rules-flow.js';

export interface FlowContext {
  options: ChaosOptions;
  tail: LedgerTail;
  /** every build id posted, by every producer */
  posted: number[];
  producers: Array<{ name: string; producer: ChaosProducer; done: () => boolean; error: () => Error | null }>;
  stopper: RulesStopper;
  fleet: WorkerFleet;
  churn: ClusterChurn;
  replicas: ReplicaSet;
  /** the one Redis, or the Redis Cluster (--redis-cluster) */
  redis: RedisServer | ChaosRedisCluster;
  admin: JsonClient;
  adminToken: string;
  deadline: number;
  fault: (what: string) => void;
  setStage: (stage: string) => void;
  events: { workerKills: number; replicaKills: number; redisRestarts: number };
}

/**
 * Watches the flow until every posted build is acked in the ledger (or nothing moves any more),
 * injecting faults meanwhile: a worker SIGKILLed every second, and replicas and Redis at fixed
 * points of progress (faults.ts). A master failover runs in the background; the scheduled faults
 * wait for it to end, so what each one causes stays apart.
 */
export async function runFlow(ctx: FlowContext): Promise<void> {
  const { options, tail, fleet } = ctx;
  const random = seededRandom(options.seed);
  const schedule = faultSchedule(options);
  const cluster = ctx.redis instanceof RedisServer ? null : ctx.redis;
  let lastWorkerKill = wallNow();
  let lastProgress = 0;
  let lastProgressAt = wallNow();
  let lastReport = 0;
  let lastBrokerCheck = 0;
  const total = ctx.posted.length;
  const buildState = async (buildId: number) => {
    const answer = await ctx.admin
      .request<{ state: string }>('GET', `/v4/builds/${buildId}`, { token: ctx.adminToken, timeoutMs: 10_000 })
      .catch(() => null);
    return answer?.status === 200 ? answer.body.state : 'unknown';
  };
  while (tail.ackedBuilds.size < total) {
    await sleep(100);
    tail.poll();
    for (const p of ctx.producers) {
      const error = p.error();
      if (error) throw error;
    }
    const acked = tail.ackedBuilds.size;
    if (acked > lastProgress) {
      lastProgress = acked;
      lastProgressAt = wallNow();
    }
    if (wallNow() - lastReport > 5000) {
      lastReport = wallNow();
      const posts = ctx.producers.map((p) => `${p.producer.posted} ${p.name}`).join(' + ');
      const failures = ctx.producers.reduce((sum, p) => sum + p.producer.failures, 0);
      progress(
        `chaos: posted ${posts}, acked ${acked} of ${total} (ledger), post failures ${failures}, rules builds stopped ${ctx.stopper.stopped} (${ctx.stopper.releaseKills} replica kills right after a stop), churn clusters ${ctx.churn.generations} registered / ${ctx.churn.deletions} deleted`,
      );
    }
    const producersDone = ctx.producers.every((p) => p.done());
    const stalledMs = wallNow() - lastProgressAt;
    if (producersDone && stalledMs > options.leaseMs * 2 + 2000 && wallNow() - lastBrokerCheck > 2000) {
      // A worker killed between the broker's ack and its ledger line leaves a build the ledger
      // never shows acked: ask the broker about the few that are missing.
      lastBrokerCheck = wallNow();
      const missing = ctx.posted.filter((id) => !tail.ackedBuilds.has(id));
      if (missing.length <= 100) {
        const states = await Promise.all(missing.map((id) => buildState(id)));
        if (states.every((state) => state === 'acked')) {
          progress(
            `chaos: the ledger lacks the ack answer of ${missing.length} build(s) the broker reports acked (their worker was killed)`,
          );
          break;
        }
      }
    }
    // Released builds a killed replica journalled wait up to 15 s for another's sweep.
    if (producersDone && stalledMs > Math.max(30_000, options.leaseMs * 10)) {
      progress(`chaos: no new acks for ${Math.round(stalledMs / 1000)} s; checking what is missing`);
      break;
    }
    if (wallNow() > ctx.deadline - 30_000) {
      progress('chaos: close to the time limit; checking what is missing');
      break;
    }
    if (wallNow() - lastWorkerKill >= options.workerKillMs) {
      lastWorkerKill = wallNow();
      const victim = await fleet.killAndRestart(Math.floor(random() * fleet.size));
      ctx.events.workerKills++;
      ctx.fault(`SIGKILL worker ${victim}`);
    }
    const next = schedule[0];
    if (next && acked >= next.at * total && !cluster?.busy) {
      schedule.shift();
      if (next.what === 'restart-redis' && ctx.redis instanceof RedisServer) {
        ctx.setStage('restarting Redis');
        await ctx.replicas.idle();
        ctx.fault('SIGTERM Redis');
        await ctx.redis.stop();
        await ctx.redis.start();
        ctx.events.redisRestarts++;
        ctx.fault('Redis started again on its AOF');
      } else if (next.what === 'drop-redis-connections' && cluster) {
        ctx.setStage('closing the Redis Cluster connections');
        await ctx.replicas.idle();
        await cluster.dropConnections(ctx.fault);
      } else if (next.what === 'kill-master' && cluster) {
        await ctx.replicas.idle();
        cluster.startFailover(ctx.fault, acked);
      } else {
        const index = next.what === 'kill-replica-0' ? 0 : 1;
        ctx.setStage(`restarting replica ${index}`);
        // A kill in the middle of a release may have the replicas now: this one waits its turn.
        while (!(await ctx.replicas.killAndRestart(index, ctx.fault))) await ctx.replicas.idle();
        ctx.events.replicaKills++;
      }
      ctx.setStage('running the flow');
    }
  }
  if (cluster) {
    ctx.setStage('finishing a Redis master failover');
    await cluster.idle();
  }
  if (schedule.length > 0) progress(`chaos: WARNING: ${schedule.length} scheduled fault(s) never reached`);
}
