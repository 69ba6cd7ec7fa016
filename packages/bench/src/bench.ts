import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { benchOptions, BENCH_HELP, type BenchOptions } from './bench/options.js';
import { formatReport } from './bench/report.js';
import type { BenchResults } from './bench/results.js';
import { RedisServer } from './lib/redis-server.js';
import { generateApiKeys, mintApiToken } from './lib/keys.js';
import { progress } from './lib/log.js';
import { summarizeProfile } from './lib/cpu-profile.js';
import { printRunNotes } from './bench/print.js';
import { RESULTS_DIR, REPO_ROOT, requireBuiltBroker } from './lib/repo.js';
import { runPeer, PEERS, warmupFor, type PeerName } from './scenarios/peers.js';
import { withBroker, type BenchContext } from './scenarios/context.js';
import { brokerThroughput, setUpClusters, type ThroughputOptions } from './scenarios/broker-throughput.js';
import { brokerLatency } from './scenarios/broker-latency.js';
import { brokerIdle } from './scenarios/broker-idle.js';
import { brokerRules } from './scenarios/broker-rules.js';
import { brokerGrowth } from './scenarios/broker-growth.js';
import { brokerShards } from './scenarios/shards.js';
import { brokerPostsAlone, floorPosts } from './scenarios/floor.js';
import { endToEndPayloadBytes } from './lib/payload.js';
import type { AckMode } from './roles/broker-config.js';

/**
 * `pnpm bench`: the broker end to end against BullMQ, node-resque and raw Redis Streams on one
 * dedicated Redis, then dispatch latency, idle capacity, growth, and a CPU profile of the broker.
 */
let pollMax = 100;
let acks: AckMode = 'carried';
/** The growth broker keeps settled builds this long (the broker's minimum; the default is 2 days). */
const GROWTH_RETENTION_SECONDS = 60;
const throughputShape = (jobs: number): ThroughputOptions => ({
  jobs,
  warmup: warmupFor(jobs),
  producers: 50,
  pollers: 8,
  max: pollMax,
  acks,
  payload: 'screwdriver',
});

function environment(): Record<string, string> {
  const run = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', cwd: REPO_ROOT }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    node: process.version,
    redis: run('redis-server', ['--version']).split(' ')[2]?.replace('v=', '') ?? 'unknown',
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    commit: run('git', ['rev-parse', '--short', 'HEAD']),
    loadAverageAtStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

async function endToEnd(ctx: BenchContext, options: BenchOptions, results: BenchResults): Promise<void> {
  type System = { kind: 'peer'; name: PeerName } | { kind: 'broker'; clusters: number } | { kind: 'floor'; durable: boolean } | { kind: 'alone' };
  const systems: System[] = [];
  if (options.sections.has('peers')) for (const name of Object.keys(PEERS) as PeerName[]) systems.push({ kind: 'peer', name });
  if (options.sections.has('throughput')) for (const clusters of options.clusters) systems.push({ kind: 'broker', clusters });
  if (options.sections.has('floor')) systems.push({ kind: 'floor', durable: false }, { kind: 'floor', durable: true }, { kind: 'alone' });
  // Round robin (every system once per round), so a change of machine speed hits all alike.
  for (let round = 1; round <= options.rounds; round++) {
    if (systems.length > 0) progress(`end to end, round ${round} of ${options.rounds}`);
    for (const system of systems) {
      try {
        if (system.kind === 'peer') {
          (results.peers[system.name] ??= []).push(await runPeer(system.name, ctx.redis, options.jobs));
        } else if (system.kind === 'floor') {
          const run = await floorPosts(ctx, options.jobs, system.durable);
          if (system.durable) (results.durableFloor ??= []).push(run);
          else (results.floor ??= []).push(run);
        } else if (system.kind === 'alone') {
          const run = await withBroker(ctx, { label: 'bench' }, async (broker, client) => {
            const [cluster] = await setUpClusters(ctx, client, 1);
            return brokerPostsAlone(ctx, broker, cluster!.name, options.jobs);
          });
          (results.brokerPostsAlone ??= []).push(run);
        } else {
          const run = await withBroker(ctx, { label: 'bench' }, async (broker, client) => {
            const clusters = await setUpClusters(ctx, client, system.clusters);
            return brokerThroughput(
              ctx,
              broker,
              clusters,
              throughputShape(options.jobs),
              `broker, ${system.clusters} cluster(s)`,
            );
          });
          (results.broker[String(system.clusters)] ??= []).push(run);
        }
      } catch (err) {
        const what =
          system.kind === 'peer'
            ? system.name
            : system.kind === 'broker'
              ? `broker with ${system.clusters} clusters`
              : system.kind === 'floor'
                ? system.durable
                  ? 'durable floor'
                  : 'floor'
                : 'broker posting alone';
        results.errors.push(`${what}: ${(err as Error).message}`);
        progress(`FAILED ${what}: ${(err as Error).message}`);
      }
    }
  }
}

async function section(name: string, results: BenchResults, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    results.errors.push(`${name}: ${(err as Error).message}`);
    progress(`FAILED ${name}: ${(err as Error).message}`);
  }
}

async function main(): Promise<number> {
  const options = benchOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  if (options.report) {
    // pnpm runs the script in packages/bench; a relative path means where the user typed it.
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), options.report);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    process.stdout.write(`${formatReport(saved).text}\n\n${formatReport(saved).markdown}\n`);
    return 0;
  }
  pollMax = options.max;
  acks = options.acks;
  const brokerSections = ['throughput', 'floor', 'latency', 'rules', 'idle', 'growth', 'shards', 'profile'] as const;
  if (brokerSections.some((s) => options.sections.has(s))) requireBuiltBroker();
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    environment: environment(),
    options: { ...options, sections: [...options.sections] },
    peers: {},
    broker: {},
    payloadBytes: endToEndPayloadBytes(),
    errors: [],
  };
  progress(`bench: sections ${[...options.sections].join(', ')}; ${options.jobs} jobs per run, ${options.rounds} round(s)`);
  // Room for the idle section's polls: the broker's sockets plus the poll clients' (this raises the soft limit to the hard one for children).
  const redis = new RedisServer({ durable: false, maxClients: 20_000 });
  await redis.start();
  const apiKeys = generateApiKeys();
  const ctx: BenchContext = {
    redis,
    apiKeys,
    adminToken: mintApiToken(apiKeys, ['admin'], 'bench-admin'),
    sdapiToken: mintApiToken(apiKeys, ['sdapi'], 'bench-sdapi'),
  };
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  try {
    await endToEnd(ctx, options, results);
    if (options.sections.has('latency')) {
      await section('dispatch latency', results, () =>
        withBroker(ctx, { label: 'bench' }, async (broker, client) => {
          const [cluster] = await setUpClusters(ctx, client, 1);
          results.latency = await brokerLatency(ctx, broker, cluster!, {
            builds: options.latencyBuilds,
            pollers: 4,
            intervalMs: 5,
            firstBuildId: 1,
          });
        }),
      );
    }
    if (options.sections.has('rules')) {
      await section('blockedBy cost', results, () =>
        withBroker(ctx, { label: 'bench' }, async (broker, client) => {
          const [cluster] = await setUpClusters(ctx, client, 1);
          results.rules = await brokerRules(ctx, broker, cluster!.name, { builds: options.rulesBuilds, concurrency: 16 });
        }),
      );
    }
    if (options.sections.has('idle')) {
      await section('idle capacity', results, () =>
        withBroker(ctx, { label: 'bench' }, async (broker, client) => {
          const clusters = await setUpClusters(ctx, client, 100);
          results.idle = await brokerIdle(ctx, broker, client, clusters, {
            polls: options.polls,
            wakeBuilds: options.wakeBuilds,
          });
        }),
      );
    }
    if (options.sections.has('growth')) {
      await section('growth', results, () =>
        withBroker(
          ctx,
          { label: 'bench', env: { LEASE_MS: '5000', BUILD_RETENTION_SECONDS: String(GROWTH_RETENTION_SECONDS) } },
          async (broker, client) => {
            const [cluster] = await setUpClusters(ctx, client, 1);
            results.growth = await brokerGrowth(ctx, broker, cluster!, {
              backlogs: options.backlogs,
              throughput: throughputShape(options.growthJobs),
              retentionSeconds: GROWTH_RETENTION_SECONDS,
            });
          },
        ),
      );
    }
    if (options.sections.has('shards')) {
      await section('shards', results, async () => {
        const shardOptions = {
          jobs: options.shardJobs,
          clusters: options.shardClusters,
          memoryBuilds: options.shardMemoryBuilds,
          basePort: options.shardBasePort,
          logDir: join(RESULTS_DIR, `shards-${stamp}`),
        };
        results.shards = await brokerShards(ctx, shardOptions, results.errors);
      });
    }
    if (options.sections.has('profile')) {
      await section('profile', results, async () => {
        const dir = join(RESULTS_DIR, `profile-${stamp}`);
        const clusters = 10;
        const run = await withBroker(ctx, { label: 'bench', cpuProfileDir: dir }, async (broker, client) => {
          const credentials = await setUpClusters(ctx, client, clusters);
          return brokerThroughput(
            ctx,
            broker,
            credentials,
            throughputShape(options.jobs),
            `profiled broker, ${clusters} clusters`,
          );
        });
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) throw new Error(`the broker wrote no CPU profile into ${dir}`);
        results.profile = {
          clusters,
          run,
          file: join(dir, file),
          summary: summarizeProfile(join(dir, file), 20, run.monotonicUs),
        };
        // The same broker posting alone: where a post's time goes, next to the floor's.
        const postsDir = join(RESULTS_DIR, `profile-posts-${stamp}`);
        const posts = await withBroker(ctx, { label: 'bench', cpuProfileDir: postsDir }, async (broker, client) => {
          const [cluster] = await setUpClusters(ctx, client, 1);
          return brokerPostsAlone(ctx, broker, cluster!.name, options.jobs);
        });
        const postsFile = readdirSync(postsDir).find((f) => f.endsWith('.cpuprofile'));
        if (!postsFile) throw new Error(`the broker wrote no CPU profile into ${postsDir}`);
        results.profilePosts = {
          run: posts,
          file: join(postsDir, postsFile),
          summary: summarizeProfile(join(postsDir, postsFile), 20, posts.monotonicUs),
        };
      });
    }
  } finally {
    await redis.destroy();
  }

  results.environment.loadAverageAtEnd = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const report = formatReport(results);
  const jsonFile = join(RESULTS_DIR, `bench-${stamp}.json`);
  writeFileSync(jsonFile, JSON.stringify({ ...results, table: report.markdown }, null, 2));
  process.stdout.write(`\n${report.text}\n`);
  printRunNotes(results);
  if (results.errors.length > 0) process.stdout.write(`\nerrors:\n${results.errors.map((e) => `  - ${e}`).join('\n')}\n`);
  process.stdout.write(`\nresults: ${jsonFile}\n`);
  return results.errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
