import { parseCommandFlags, intFlag } from '../lib/args.js';

export interface ChaosOptions {
  builds: number;
  clusters: number;
  workers: number;
  workerConcurrency: number;
  /** posts per second over all clusters */
  rate: number;
  leaseMs: number;
  seed: number;
  timeoutSeconds: number;
  buildMinMs: number;
  buildMaxMs: number;
  /** unnamed builds of the churn clusters, deleted and registered again while builds flow */
  churnBuilds: number;
  /** builds of jobs that block each other (blockedBy), stopped by the client once they ran */
  rulesBuilds: number;
  /** a worker is SIGKILLed this often */
  workerKillMs: number;
  /** replica SIGKILLs right after a stop was sent to it (in the middle of the release it causes) */
  releaseKills: number;
  small: boolean;
  /** a local Redis Cluster (3 masters + 3 replicas) instead of one Redis, with master failovers */
  redisCluster: boolean;
  /** first port of the cluster's nodes (the six take basePort .. basePort + 5, bus ports + 10000) */
  redisBasePort: number;
  /** masters SIGKILLed (each on another shard), each restarted `masterDownMs` after its replica took over */
  masterKills: number;
  masterDownMs: number;
}

export const CHAOS_HELP = `pnpm chaos [flags]
  --small            CI size: 500 builds, 5 workers, ~30 s of flow, under ~3 minutes in all
  --builds N         builds to post (default 10000; 500 with --small, 300 with --small --redis-cluster)
  --clusters N       clusters (default 5)
  --workers N        worker processes (default 10; 5 with --small)
  --rate N           posts per second (default: builds spread over ~70 s; ~30 s with --small)
  --churn-builds N   builds for the churn clusters, deleted and registered again meanwhile
                     (default 10% of --builds)
  --rules-builds N   builds with blockedBy, in pairs of jobs that block each other (default 5% of
                     --builds, at least 40)
  --release-kills N  replica SIGKILLs right after a stop sent to it (default 4; 2 with --small)
  --worker-kill-ms N a worker is SIGKILLed every N ms (default 1000; more on a machine so busy that a
                     worker takes longer than workers × N to start)
  --lease-ms N       the brokers' LEASE_MS (default 2000)
  --seed N           seed of the random choices (default 1)
  --timeout S        give up after S seconds (default 900; 170 with --small)
  --redis-cluster    a local Redis Cluster (3 masters + 3 replicas, min-replicas-to-write 1) instead
                     of one Redis; brokers get REDIS_CLUSTER_NODES and REDIS_WAIT_REPLICAS=1, masters
                     are SIGKILLed mid-run and restarted as replicas, and the Redis restart becomes a
                     drop of every client connection on every node
  --master-kills N   masters SIGKILLed, each on another shard (default 2; 1 with --small)
  --master-down-ms N how long a killed master stays down after its replica took over (default 3000;
                     2000 with --small)
  --redis-base-port N first port of the cluster's six nodes (default 21300)
`;

export function chaosOptions(argv: string[]): ChaosOptions | 'help' {
  const flags = parseCommandFlags(argv, [
    'small',
    'builds',
    'clusters',
    'workers',
    'rate',
    'lease-ms',
    'seed',
    'timeout',
    'churn-builds',
    'rules-builds',
    'release-kills',
    'worker-kill-ms',
    'redis-cluster',
    'redis-base-port',
    'master-kills',
    'master-down-ms',
  ]);
  if (flags === 'help') return flags;
  const small = flags.has('small');
  const redisCluster = flags.has('redis-cluster');
  for (const name of ['master-kills', 'master-down-ms', 'redis-base-port']) {
    if (flags.has(name) && !redisCluster) throw new Error(`--${name} needs --redis-cluster`);
  }
  // On a cluster the small run is smaller still: a failover and its restart add ~12 s, and it must fit CI.
  const builds = intFlag(flags, 'builds', small ? (redisCluster ? 300 : 500) : 10_000);
  const rate = intFlag(flags, 'rate', Math.max(5, Math.round(builds / (small ? 30 : 70))));
  const masterKills = intFlag(flags, 'master-kills', small ? 1 : 2);
  if (masterKills > 3) throw new Error('--master-kills: the cluster has 3 shards, so at most 3');
  return {
    builds,
    clusters: intFlag(flags, 'clusters', 5),
    workers: intFlag(flags, 'workers', small ? 5 : 10),
    workerConcurrency: 4,
    rate,
    leaseMs: intFlag(flags, 'lease-ms', 2000),
    seed: intFlag(flags, 'seed', 1),
    timeoutSeconds: intFlag(flags, 'timeout', small ? 170 : 900),
    buildMinMs: 5,
    buildMaxMs: 60,
    churnBuilds: intFlag(flags, 'churn-builds', Math.round(builds / 10)),
    rulesBuilds: intFlag(flags, 'rules-builds', Math.max(40, Math.round(builds / 20))),
    releaseKills: intFlag(flags, 'release-kills', small ? 2 : 4),
    workerKillMs: intFlag(flags, 'worker-kill-ms', 1000),
    small,
    redisCluster,
    redisBasePort: intFlag(flags, 'redis-base-port', 21300),
    masterKills,
    masterDownMs: intFlag(flags, 'master-down-ms', small ? 2000 : 3000),
  };
}
