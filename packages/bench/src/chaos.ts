import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaosOptions, CHAOS_HELP } from './chaos/options.js';
import { FAULT_SCHEDULE } from './chaos/faults.js';
import { WorkerFleet } from './chaos/fleet.js';
import { ChaosProducer } from './chaos/producer.js';
import { LedgerTail, LedgerWriter, readLedgerDir } from './chaos/ledger.js';
import { buildsWithoutAckedAnswer, verifyLedger } from './chaos/verify.js';
import { formatVerdict, type ChaosEvents } from './chaos/report.js';
import { RedisServer } from './lib/redis-server.js';
import { BrokerProcess } from './lib/broker-process.js';
import { createDatabase } from './lib/postgres.js';
import { generateApiKeys, mintApiToken } from './lib/keys.js';
import { JsonClient } from './lib/http.js';
import { clusterNames, registerClusters } from './lib/clusters.js';
import { progress, sleep, wallNow } from './lib/log.js';
import { seededRandom } from './lib/random.js';
import { startMessage } from './lib/payload.js';
import { ClusterChurn, CHURN_SCM_CONTEXT } from './chaos/churn.js';
import { RESULTS_DIR, requireBuiltBroker } from './lib/repo.js';

/**
 * `pnpm chaos`: two broker replicas, a durable Redis and the worker package's workers, all real
 * processes; 10,000 builds posted over 5 clusters while workers are SIGKILLed every second, each
 * replica is SIGKILLed twice and Redis is restarted once; meanwhile churn clusters are deleted and
 * registered again under the same names while their builds flow, and another organization's
 * cluster set to a main cluster's queue name polls all along (chaos/churn.ts). The ledger then has
 * to show every build acked exactly once, none lost, none delivered after its ack, none delivered
 * to a cluster of another organization, and FIFO first deliveries.
 */
const FIRST_BUILD_ID = 1_000_000;
const FIRST_CHURN_BUILD_ID = 5_000_000;

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
    `chaos: ${options.builds} builds over ${options.clusters} clusters at ${options.rate}/s, ${options.workers} workers, LEASE_MS ${options.leaseMs}, seed ${options.seed}; files in ${runDir}`,
  );

  const startedAt = wallNow();
  const deadline = startedAt + options.timeoutSeconds * 1000;
  let stage = 'starting';
  const watchdog = setTimeout(() => {
    process.stderr.write(
      `\nchaos: TIMEOUT after ${options.timeoutSeconds} s while ${stage}; killing every process. Logs: ${logDir}\n`,
    );
    process.exit(2);
  }, options.timeoutSeconds * 1000);
  watchdog.unref();

  const redis = new RedisServer({ durable: true });
  const database = await createDatabase('chaos');
  const apiKeys = generateApiKeys();
  const adminToken = mintApiToken(apiKeys, ['admin'], 'chaos-admin');
  const sdapiToken = mintApiToken(apiKeys, ['sdapi'], 'chaos-sdapi');
  const replicas: BrokerProcess[] = [];
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
    stage = 'starting Redis (AOF, fsync always) and two broker replicas';
    await redis.start();
    const env = { LEASE_MS: String(options.leaseMs), MAX_ATTEMPTS: '100', LOG_LEVEL: 'warn' };
    for (let i = 0; i < 2; i++) {
      const replica = new BrokerProcess({
        databaseUrl: database.url,
        redisUrl: redis.url,
        apiPublicKey: apiKeys.publicKey,
        env,
        label: `replica-${i}`,
        logFile: join(logDir, `replica-${i}.log`),
      });
      // One after the other: each runs the migrations at start.
      await replica.start();
      replicas.push(replica);
    }
    const admin = new JsonClient(replicas[0]!.url);
    stage = 'registering clusters';
    const credentials = await registerClusters(admin, adminToken, clusterNames(options.clusters));
    const fleetClusters = credentials.map((c) => {
      const privateKeyFile = join(keyDir, `${c.name}.key.pem`);
      writeFileSync(privateKeyFile, c.privateKey, { mode: 0o600 });
      return { name: c.name, privateKeyFile, signOption: c.signOption };
    });

    stage = 'running the flow';
    const urls = replicas.map((r) => () => r.url);
    fleet = new WorkerFleet(options.workers, fleetClusters, urls, {
      ledgerDir,
      logDir,
      concurrency: options.workerConcurrency,
      buildMinMs: options.buildMinMs,
      buildMaxMs: options.buildMaxMs,
      seed: options.seed,
    });
    fleet.startAll();
    stage = 'starting the intruder and the churn of clusters';
    churn = new ClusterChurn({
      replicas: urls,
      adminToken,
      keyDir,
      ledgerDir,
      logDir,
      fleet: {
        concurrency: options.workerConcurrency,
        buildMinMs: options.buildMinMs,
        buildMaxMs: options.buildMaxMs,
        seed: options.seed,
      },
    });
    await churn.startIntruder(credentials[0]!.name);
    churn.start();
    const activeChurn = churn;
    stage = 'running the flow';
    const churnProducer = new ChaosProducer(
      {
        replicas: urls,
        sdapiToken,
        clusters: ['churn'],
        builds: options.churnBuilds,
        rate: Math.max(1, (options.rate * options.churnBuilds) / options.builds),
        firstBuildId: FIRST_CHURN_BUILD_ID,
        postDeadlineMs: 60_000,
        message: (buildId) => ({
          ...startMessage(buildId, null),
          pipeline: { id: 4343, name: 'screwdriver-cd/churn', scmContext: CHURN_SCM_CONTEXT },
        }),
        fifo: false,
      },
      new LedgerWriter(join(ledgerDir, 'producer-churn.jsonl')),
    );
    let churnError: Error | null = null;
    const churnPosting = churnProducer
      .run()
      .catch((err: Error) => (churnError = err))
      .finally(() => activeChurn.stop());
    const producer = new ChaosProducer(
      {
        replicas: urls,
        sdapiToken,
        clusters: credentials.map((c) => c.name),
        builds: options.builds,
        rate: options.rate,
        firstBuildId: FIRST_BUILD_ID,
        postDeadlineMs: 60_000,
      },
      new LedgerWriter(join(ledgerDir, 'producer.jsonl')),
    );
    let producerError: Error | null = null;
    let producerDone = false;
    void producer
      .run()
      .catch((err: Error) => (producerError = err))
      .finally(() => (producerDone = true));

    // The fault loop: a worker every second; replicas and Redis at fixed points of progress.
    const random = seededRandom(options.seed);
    const schedule = [...FAULT_SCHEDULE];
    let lastWorkerKill = wallNow();
    let lastProgress = 0;
    let lastProgressAt = wallNow();
    let lastReport = 0;
    let lastBrokerCheck = 0;
    const total = options.builds + options.churnBuilds;
    const posted = [
      ...Array.from({ length: options.builds }, (_, n) => FIRST_BUILD_ID + n),
      ...Array.from({ length: options.churnBuilds }, (_, n) => FIRST_CHURN_BUILD_ID + n),
    ];
    const buildState = async (buildId: number) => {
      const answer = await admin
        .request<{ state: string }>('GET', `/v4/builds/${buildId}`, { token: adminToken, timeoutMs: 10_000 })
        .catch(() => null);
      return answer?.status === 200 ? answer.body.state : 'unknown';
    };
    const activeFleet = fleet;
    while (tail.ackedBuilds.size < total) {
      await sleep(100);
      tail.poll();
      if (producerError) throw producerError;
      if (churnError) throw churnError;
      const acked = tail.ackedBuilds.size;
      if (acked > lastProgress) {
        lastProgress = acked;
        lastProgressAt = wallNow();
      }
      if (wallNow() - lastReport > 5000) {
        lastReport = wallNow();
        progress(
          `chaos: posted ${producer.posted}/${options.builds} + ${churnProducer.posted}/${options.churnBuilds} churn, acked ${acked} (ledger), post failures ${producer.failures + churnProducer.failures}, churn clusters ${activeChurn.generations} registered / ${activeChurn.deletions} deleted`,
        );
      }
      const stalledMs = wallNow() - lastProgressAt;
      if (producerDone && stalledMs > options.leaseMs * 2 + 2000 && wallNow() - lastBrokerCheck > 2000) {
        // A worker killed between the broker's ack and its ledger line leaves a build the ledger
        // never shows acked: ask the broker about the few that are missing.
        lastBrokerCheck = wallNow();
        const missing = posted.filter((id) => !tail.ackedBuilds.has(id));
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
      if (producerDone && stalledMs > Math.max(30_000, options.leaseMs * 10)) {
        progress(`chaos: no new acks for ${Math.round(stalledMs / 1000)} s; checking what is missing`);
        break;
      }
      if (wallNow() > deadline - 30_000) {
        progress('chaos: close to the time limit; checking what is missing');
        break;
      }
      if (wallNow() - lastWorkerKill >= 1000) {
        lastWorkerKill = wallNow();
        const victim = await activeFleet.killAndRestart(Math.floor(random() * activeFleet.size));
        events.workerKills++;
        fault(`SIGKILL worker ${victim}`);
      }
      const next = schedule[0];
      if (next && acked >= next.at * total) {
        schedule.shift();
        if (next.what === 'restart-redis') {
          stage = 'restarting Redis';
          fault('SIGTERM Redis');
          await redis.stop();
          await redis.start();
          events.redisRestarts++;
          fault('Redis started again on its AOF');
        } else {
          const index = next.what === 'kill-replica-0' ? 0 : 1;
          stage = `restarting replica ${index}`;
          fault(`SIGKILL replica ${index}`);
          await replicas[index]!.kill();
          await replicas[index]!.start();
          events.replicaKills++;
          fault(`replica ${index} started again`);
        }
        stage = 'running the flow';
      }
    }
    if (schedule.length > 0) progress(`chaos: WARNING: ${schedule.length} scheduled fault(s) never reached`);

    // Keep the workers polling a while longer: a build wrongly left in a queue would be delivered now.
    stage = 'watching for late deliveries';
    await sleep(options.leaseMs * 2 + 2000);
    stage = 'stopping the workers';
    await churnPosting;
    await fleet.stopAll();
    await churn.stopWorkers();

    stage = 'asking the broker about builds without an acked answer';
    const ledger = readLedgerDir(ledgerDir);
    const missing = buildsWithoutAckedAnswer(ledger.lines);
    const brokerStates = new Map<number, string>();
    for (const buildId of missing) {
      const answer = await admin.request<{ state: string }>('GET', `/v4/builds/${buildId}`, {
        token: adminToken,
        timeoutMs: 10_000,
      });
      brokerStates.set(buildId, answer.status === 200 ? answer.body.state : `HTTP ${answer.status}`);
    }
    const queues = await admin.request('GET', '/v4/queues', { token: adminToken, timeoutMs: 10_000 });
    admin.close();

    const verdict = verifyLedger({
      lines: ledger.lines,
      partialLines: ledger.partialLines,
      killedWorkers: fleet.killed,
      brokerStates,
      foreignClusters: churn.foreignClusters,
    });
    events.unexpectedWorkerExits = fleet.unexpectedExits;
    events.seconds = Math.round((wallNow() - startedAt) / 1000);
    events.churn = { generations: churn.generations, deletions: churn.deletions, refusedDeletes: churn.refusedDeletes };
    const notPosted = total - verdict.figures.builds;
    const text = formatVerdict(verdict, events);
    const timeline = events.timeline.filter((line) => !line.includes('worker'));
    process.stdout.write(`\nfaults (besides a worker SIGKILLed every second):\n${timeline.map((l) => `  ${l}`).join('\n')}\n`);
    process.stdout.write(`\n${text}\n`);
    if (notPosted > 0) process.stdout.write(`\nNOT POSTED: ${notPosted} builds never got a 200/201\n`);
    writeFileSync(
      join(runDir, 'verdict.json'),
      JSON.stringify({ options, figures: verdict.figures, violations: verdict.violations, events, queues: queues.body }, null, 2),
    );
    process.stdout.write(`\nledger and logs: ${runDir}\n`);
    const failed = verdict.violations.length > 0 || notPosted > 0;
    process.stdout.write(
      failed
        ? '\nchaos: FAILED\n'
        : '\nchaos: passed — every build acked exactly once, none lost, none delivered after its ack or to another organization, FIFO held\n',
    );
    return failed ? 1 : 0;
  } finally {
    stage = 'cleaning up';
    if (fleet) await fleet.stopAll().catch(() => {});
    if (churn) await churn.stop().catch(() => {});
    if (churn) await churn.stopWorkers().catch(() => {});
    for (const replica of replicas) await replica.stop().catch(() => {});
    await redis.destroy().catch(() => {});
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
