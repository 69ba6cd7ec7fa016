import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaosOptions, CHAOS_HELP } from './chaos/options.js';
import { WorkerFleet } from './chaos/fleet.js';
import { ChaosProducer } from './chaos/producer.js';
import { LedgerTail, LedgerWriter } from './chaos/ledger.js';
import { type ChaosEvents } from './chaos/report.js';
import { ReplicaSet } from './chaos/replicas.js';
import { runFlow } from './chaos/flow-loop.js';
import { finishRun } from './chaos/finish.js';
import { RulesStopper, rulesMessage } from './chaos/rules-flow.js';
import { RedisServer } from './lib/redis-server.js';
import { ChaosRedisCluster } from './chaos/failover.js';
import { createBenchDatabase } from './lib/database.js';
import { generateApiKeys, mintApiToken } from './lib/keys.js';
import { JsonClient } from './lib/http.js';
import { clusterNames, registerClusters } from './lib/clusters.js';
import { progress, sleep, wallNow } from './lib/log.js';
import { startMessage } from './lib/payload.js';
import { ClusterChurn, CHURN_SCM_CONTEXT } from './chaos/churn.js';
import { RESULTS_DIR, requireBuiltBroker } from './lib/repo.js';

/**
 * `pnpm chaos`: two broker replicas, a durable Redis and the worker package's workers, all real
 * processes; 10,000 builds posted over 5 clusters while workers are SIGKILLed every second, each
 * replica is SIGKILLed twice and Redis is restarted once; meanwhile churn clusters are deleted and
 * registered again under the same names while their builds flow, another organization's cluster
 * set to a main cluster's queue name polls all along (chaos/churn.ts), and builds of jobs that
 * block each other flow with blockedBy while this client sends Screwdriver's stops, a few of them
 * followed at once by a replica SIGKILL (chaos/rules-flow.ts). The ledger then has to show every
 * build acked exactly once, none lost, none delivered after its ack, none delivered to a cluster
 * of another organization, FIFO first deliveries, no two builds that block each other running at
 * once, and every blocked build released. With --redis-cluster the same runs on a local Redis
 * Cluster, whose masters are SIGKILLed and promoted away mid-run (chaos/failover.ts).
 */
const FIRST_BUILD_ID = 1_000_000;
const FIRST_CHURN_BUILD_ID = 5_000_000;
const FIRST_RULES_BUILD_ID = 7_000_000;
const RULES_CLUSTER = 'rules';
const ids = (first: number, count: number) => Array.from({ length: count }, (_, n) => first + n);

async function main(): Promise<number> {
  const options = chaosOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(CHAOS_HELP);
    return 0;
  }
  requireBuiltBroker();
  const runDir = join(RESULTS_DIR, `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const ledgerDir = join(runDir, 'ledger');
  const logDir = join(runDir, 'logs');
  const keyDir = join(runDir, 'keys');
  for (const dir of [ledgerDir, logDir, keyDir]) mkdirSync(dir, { recursive: true });
  progress(
    `chaos: ${options.builds} builds over ${options.clusters} clusters at ${options.rate}/s (+ ${options.rulesBuilds} with blockedBy), ${options.workers} workers, LEASE_MS ${options.leaseMs}, seed ${options.seed}${options.redisCluster ? `; on a Redis Cluster, REDIS_WAIT_REPLICAS=1, ${options.masterKills} master kill(s)` : ''}; files in ${runDir}`,
  );

  const startedAt = wallNow();
  let stage = 'starting';
  const watchdog = setTimeout(() => {
    process.stderr.write(
      `\nchaos: TIMEOUT after ${options.timeoutSeconds} s while ${stage}; killing every process. Logs: ${logDir}\n`,
    );
    process.exit(2);
  }, options.timeoutSeconds * 1000);
  watchdog.unref();

  const redis = options.redisCluster ? null : new RedisServer({ durable: true });
  let cluster: ChaosRedisCluster | null = null;
  const database = await createBenchDatabase('chaos');
  const apiKeys = generateApiKeys();
  const adminToken = mintApiToken(apiKeys, ['admin'], 'chaos-admin');
  const sdapiToken = mintApiToken(apiKeys, ['sdapi'], 'chaos-sdapi');
  // Collapse is the default, but off for the rules builds (each says so): every build must run.
  const env: Record<string, string> = { LEASE_MS: String(options.leaseMs), MAX_ATTEMPTS: '100', LOG_LEVEL: 'warn' };
  let replicas: ReplicaSet | null = null;
  let fleet: WorkerFleet | null = null;
  let churn: ClusterChurn | null = null;
  const faultsLedger = new LedgerWriter(join(ledgerDir, 'faults.jsonl'));
  const events: ChaosEvents = {
    workerKills: 0,
    replicaKills: 0,
    redisRestarts: 0,
    unexpectedWorkerExits: [],
    seconds: 0,
    timeline: [],
  };
  const tail = new LedgerTail(ledgerDir);
  const fault = (what: string) => {
    const line = { e: 'fault' as const, what, t: wallNow(), progress: tail.ackedBuilds.size };
    faultsLedger.write(line);
    events.timeline.push(`${((line.t - startedAt) / 1000).toFixed(1)} s, ${line.progress} acked: ${what}`);
  };

  try {
    if (redis) {
      stage = 'starting Redis (AOF, fsync always) and two broker replicas';
      await redis.start();
    } else {
      stage = `starting a Redis Cluster on ports ${options.redisBasePort}-${options.redisBasePort + 5} and two broker replicas`;
      cluster = await ChaosRedisCluster.start({ basePort: options.redisBasePort, masterDownMs: options.masterDownMs });
      Object.assign(env, cluster.brokerEnv());
    }
    const backend = redis ?? cluster!;
    // Redis's URL (its port) is known once it runs.
    replicas = new ReplicaSet({ databaseUrl: database.url, redisUrl: backend.url, apiPublicKey: apiKeys.publicKey, env, logDir });
    const activeReplicas = replicas;
    await replicas.start(2);
    const admin = new JsonClient(replicas.replicas[0]!.url);
    stage = 'registering clusters';
    // The rules builds get a cluster (and a worker) of their own, so the main flow's backlog does not pace them.
    const registered = await registerClusters(admin, adminToken, [...clusterNames(options.clusters), RULES_CLUSTER]);
    const credentials = registered.slice(0, options.clusters);
    const fleetClusters = registered.map((c) => {
      const privateKeyFile = join(keyDir, `${c.name}.key.pem`);
      writeFileSync(privateKeyFile, c.privateKey, { mode: 0o600 });
      return { name: c.name, privateKeyFile, signOption: c.signOption };
    });
    const urls = replicas.urls;
    const shape = {
      concurrency: options.workerConcurrency,
      buildMinMs: options.buildMinMs,
      buildMaxMs: options.buildMaxMs,
      seed: options.seed,
    };
    fleet = new WorkerFleet(options.workers + 1, fleetClusters, urls, { ledgerDir, logDir, ...shape });
    fleet.startAll();
    stage = 'starting the intruder and the churn of clusters';
    churn = new ClusterChurn({ replicas: urls, adminToken, keyDir, ledgerDir, logDir, fleet: shape });
    await churn.startIntruder(credentials[0]!.name);
    churn.start();
    const activeChurn = churn;
    stage = 'running the flow';

    // Three producers: the main flow (FIFO per cluster), the churn clusters', and the rules builds.
    const share = (builds: number) => Math.max(1, (options.rate * builds) / options.builds);
    const producer = (
      name: string,
      builds: number,
      first: number,
      extra: Partial<ConstructorParameters<typeof ChaosProducer>[0]>,
    ) => {
      const p = new ChaosProducer(
        {
          replicas: urls,
          sdapiToken,
          clusters: [],
          builds,
          rate: options.rate,
          firstBuildId: first,
          postDeadlineMs: 60_000,
          ...extra,
        },
        new LedgerWriter(join(ledgerDir, `producer-${name}.jsonl`)),
      );
      let error: Error | null = null;
      let done = false;
      const running = p
        .run()
        .catch((err: Error) => (error = err))
        .finally(() => (done = true));
      return { name, producer: p, running, done: () => done, error: () => error };
    };
    const main = producer('main', options.builds, FIRST_BUILD_ID, { clusters: credentials.map((c) => c.name) });
    const churned = producer('churn', options.churnBuilds, FIRST_CHURN_BUILD_ID, {
      clusters: ['churn'],
      rate: share(options.churnBuilds),
      message: (buildId) => ({
        ...startMessage(buildId, null),
        pipeline: { id: 4343, name: 'screwdriver-cd/churn', scmContext: CHURN_SCM_CONTEXT },
      }),
      fifo: false,
    });
    void churned.running.finally(() => activeChurn.stop());
    const rulesCluster = RULES_CLUSTER;
    const rules = producer('rules', options.rulesBuilds, FIRST_RULES_BUILD_ID, {
      clusters: [rulesCluster],
      // Faster than their share, so builds of a pair of jobs arrive while another runs, and wait.
      rate: Math.max(5, 3 * share(options.rulesBuilds)),
      message: (buildId) => rulesMessage(buildId, rulesCluster),
      fifo: false,
    });
    const stopper = new RulesStopper(
      {
        replicas: urls,
        sdapiToken,
        adminToken,
        builds: ids(FIRST_RULES_BUILD_ID, options.rulesBuilds),
        runMinMs: 20,
        runMaxMs: 200,
        // Not while a master failover lasts, so that the failures it causes are its own.
        killDuringRelease: async (replica) =>
          !cluster?.busy &&
          (await activeReplicas.killAndRestart(replica, (what) => fault(`${what} (right after a stop sent to it)`))),
        // Early in the rules flow, so the kills come before the schedule keeps the replicas busy.
        killEvery: Math.max(3, Math.floor(options.rulesBuilds / (3 * (options.releaseKills + 1)))),
        kills: options.releaseKills,
        seed: options.seed,
      },
      new LedgerTail(ledgerDir),
      new LedgerWriter(join(ledgerDir, 'stopper.jsonl')),
    );
    stopper.start();

    const posted = [
      ...ids(FIRST_BUILD_ID, options.builds),
      ...ids(FIRST_CHURN_BUILD_ID, options.churnBuilds),
      ...ids(FIRST_RULES_BUILD_ID, options.rulesBuilds),
    ];
    await runFlow({
      options,
      tail,
      posted,
      producers: [main, churned, rules],
      stopper,
      fleet,
      churn,
      replicas,
      redis: backend,
      admin,
      adminToken,
      deadline: startedAt + options.timeoutSeconds * 1000,
      fault,
      setStage: (s) => (stage = s),
      events,
    });

    stage = 'sending the last stops';
    await stopper.finish(30_000);
    await replicas.idle();
    // Keep the workers polling a while longer: a build wrongly left in a queue would be delivered now.
    stage = 'watching for late deliveries';
    await sleep(options.leaseMs * 2 + 2000);
    stage = 'stopping the workers';
    await churned.running;
    await fleet.stopAll();
    await churn.stopWorkers();

    stage = 'asking the broker about builds without an acked answer';
    events.unexpectedWorkerExits = fleet.unexpectedExits;
    events.seconds = Math.round((wallNow() - startedAt) / 1000);
    events.churn = { generations: churn.generations, deletions: churn.deletions, refusedDeletes: churn.refusedDeletes };
    if (cluster) {
      const { connectionDrops, failovers } = cluster;
      events.redisCluster = { connectionDrops, failovers };
    }
    const code = await finishRun({
      ledgerDir,
      runDir,
      admin,
      adminToken,
      killedWorkers: fleet.killed,
      foreignClusters: churn.foreignClusters,
      isRules: (id) => id >= FIRST_RULES_BUILD_ID && id < FIRST_RULES_BUILD_ID + options.rulesBuilds,
      total: posted.length,
      events,
      options,
      startedAt,
    });
    admin.close();
    return code;
  } finally {
    stage = 'cleaning up';
    if (fleet) await fleet.stopAll().catch(() => {});
    if (churn) await churn.stop().catch(() => {});
    if (churn) await churn.stopWorkers().catch(() => {});
    await replicas?.stopAll();
    await redis?.destroy().catch(() => {});
    await cluster?.stop().catch(() => {});
    await database.drop().catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
