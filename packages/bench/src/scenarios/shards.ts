import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { clusterNames, registerClusters } from '../lib/clusters.js';
import { progress, sleep } from '../lib/log.js';
import { mastersMemory, nodeDeltas, type NodeDelta } from '../lib/redis-nodes.js';
import { startRole, rolePath } from '../lib/role.js';
import { stopChild } from '../lib/processes.js';
import { formatInt, round } from '../lib/stats.js';
import { screwdriverStartMessage } from '../lib/payload.js';
import type { RoleResult } from '../lib/measure.js';
import type { BrokerProducerConfig } from '../roles/broker-config.js';
import type { BenchContext } from './context.js';
import { brokerThroughput } from './broker-throughput.js';
import { startBackend, withBrokers, type Backend, type ShardSetup } from './shard-backends.js';
import { warmupFor } from './peers.js';
import { withTimeout, type PairResult } from './pair.js';

/** One shard's part of a row: its master (and replicas) per build, and its share of the load. */
export interface ShardLoad {
  shard: string;
  cpuUsPerBuild: number;
  commandsPerBuild: number;
  /** % of the commands the masters ran */
  commandShare: number;
  /** % of the Redis CPU (replicas counted with their master) */
  cpuShare: number;
}

export interface ShardRow {
  setup: string;
  brokers: number;
  perSecond: number;
  /** Redis CPU a build net of what the idle brokers cost (their timers), which a slow run spreads over fewer builds */
  redisUsPerBuild: number;
  /** the same with the idle cost left in */
  grossRedisUsPerBuild: number;
  /** Redis CPU of the idle brokers, % of one core summed over nodes, measured just before the run */
  idleRedisCpuPercent: number;
  brokerUsPerBuild: number;
  /** commands per build summed over the masters (a replica replays its master's writes), net of idle */
  commandsPerBuild: number;
  shards: ShardLoad[];
  /** queues (distinct `q:{…}` hash tags) on each master after the run */
  queuesByShard: number[];
  run: PairResult;
}

export interface ShardMemory {
  setup: string;
  builds: number;
  bytesPerBuild: number;
  /** % of the memory growth on each master */
  shareByShard: number[];
}

export interface ShardFigures {
  clusters: string[];
  jobs: number;
  payloadBytes: number;
  rows: ShardRow[];
  memory: ShardMemory[];
}

export interface ShardOptions {
  jobs: number;
  clusters: number;
  memoryBuilds: number;
  basePort: number;
  /** a folder for the brokers' output, one file per setup */
  logDir: string;
}

/** The setups measured, in order; the three-master one with replicas shows the cost of the durability setting. */
export const SHARD_SETUPS: ShardSetup[] = [
  { label: 'one Redis', masters: null, replicasPerMaster: 0, waitReplicas: 0, brokers: [1, 2] },
  { label: 'cluster, 1 master', masters: 1, replicasPerMaster: 0, waitReplicas: 0, brokers: [1, 2] },
  { label: 'cluster, 3 masters', masters: 3, replicasPerMaster: 0, waitReplicas: 0, brokers: [1, 2] },
  { label: 'cluster, 3+3, WAIT 1', masters: 3, replicasPerMaster: 1, waitReplicas: 1, brokers: [1] },
];
/** The setups whose memory per queued build is measured. */
const MEMORY_SETUPS = new Set(['one Redis', 'cluster, 3 masters']);

const IDLE_SECONDS = 3;
/** The brokers' default REDIS_KEY_PREFIX. */
const KEY_PREFIX = 'bcb:';

const pct = (part: number, whole: number) => (whole > 0 ? round((100 * part) / whole, 1) : 0);

/** Per shard (a master and its replicas), ordered by the master's address. */
export function shardLoads(nodes: NodeDelta[], builds: number): ShardLoad[] {
  const shards = [...new Set(nodes.map((n) => n.shard))].sort();
  const cpuTotal = nodes.reduce((s, n) => s + n.cpuSeconds, 0);
  const masters = nodes.filter((n) => !n.replica);
  const commandTotal = masters.reduce((s, n) => s + n.commands, 0);
  return shards.map((shard) => {
    const cpu = nodes.filter((n) => n.shard === shard).reduce((s, n) => s + n.cpuSeconds, 0);
    const commands = masters.filter((n) => n.shard === shard).reduce((s, n) => s + n.commands, 0);
    return {
      shard,
      cpuUsPerBuild: round((cpu * 1e6) / builds),
      commandsPerBuild: round(commands / builds, 2),
      commandShare: pct(commands, commandTotal),
      cpuShare: pct(cpu, cpuTotal),
    };
  });
}

/** A run's per-node figures less the idle rate over the run's length. */
function netOfIdle(run: PairResult, idle: NodeDelta[], idleSeconds: number): NodeDelta[] {
  const scale = run.seconds / idleSeconds;
  return run.redisNodes.map((node) => {
    const quiet = idle.find((i) => i.address === node.address);
    return {
      ...node,
      cpuSeconds: Math.max(0, node.cpuSeconds - (quiet?.cpuSeconds ?? 0) * scale),
      commands: Math.max(0, node.commands - (quiet?.commands ?? 0) * scale),
    };
  });
}

function rowOf(
  setup: string,
  brokers: number,
  run: PairResult,
  queuesByShard: number[],
  idle: { nodes: NodeDelta[]; seconds: number },
): ShardRow {
  const builds = run.jobs;
  const net = netOfIdle(run, idle.nodes, idle.seconds);
  const cpu = (nodes: NodeDelta[]) => nodes.reduce((s, n) => s + n.cpuSeconds, 0);
  return {
    setup,
    brokers,
    perSecond: run.perSecond,
    redisUsPerBuild: round((cpu(net) * 1e6) / builds),
    grossRedisUsPerBuild: round((cpu(run.redisNodes) * 1e6) / builds),
    idleRedisCpuPercent: round((100 * cpu(idle.nodes)) / idle.seconds, 1),
    brokerUsPerBuild: round(((run.cpu.server ?? 0) / 100) * run.seconds * (1e6 / builds)),
    commandsPerBuild: round(net.filter((n) => !n.replica).reduce((s, n) => s + n.commands, 0) / builds, 2),
    shards: shardLoads(net, builds),
    queuesByShard,
    run,
  };
}

/** Redis memory of `count` queued builds (posted over HTTP, nobody polling), per build and per master. */
async function queuedMemory(
  ctx: BenchContext,
  backend: Backend,
  setup: string,
  names: string[],
  count: number,
): Promise<ShardMemory> {
  return withBrokers(ctx, backend, 1, async ([broker], client) => {
    await registerClusters(client, ctx.adminToken, names);
    await sleep(500);
    const before = mastersMemory(await backend.nodes.sample());
    const config: BrokerProducerConfig = {
      baseUrls: [broker!.url],
      token: ctx.sdapiToken,
      jobs: count,
      warmup: 0,
      concurrency: 50,
      clusters: names,
      firstBuildId: 1,
      payload: 'screwdriver',
    };
    const role = startRole<BrokerProducerConfig, RoleResult>(rolePath('broker-producer'), config);
    try {
      await withTimeout(role.ready, 60_000, 'queued memory: producer not ready');
      role.go();
      const posted = await withTimeout(role.done, 120_000 + count * 20, `queued memory: ${count} posts not done`);
      if (posted.errors > 0)
        throw new Error(`queued memory: ${posted.errors} posts failed (${String(posted.extra?.firstError)})`);
    } finally {
      await stopChild(role.child, 3000);
    }
    // Let the broker's fire-and-forget writes land.
    await sleep(1500);
    const after = mastersMemory(await backend.nodes.sample());
    const growth = Object.keys(after.byShard)
      .sort()
      .map((shard) => (after.byShard[shard] ?? 0) - (before.byShard[shard] ?? 0));
    const total = after.total - before.total;
    const memory: ShardMemory = {
      setup,
      builds: count,
      bytesPerBuild: Math.round(total / count),
      shareByShard: growth.map((g) => pct(g, total)),
    };
    progress(
      `shards, ${setup}: ${formatInt(memory.bytesPerBuild)} B of used_memory a queued build (${memory.shareByShard.join('/')} % by master)`,
    );
    return memory;
  });
}

/**
 * End-to-end builds/s on one Redis and on local Redis Clusters of 1 and 3 masters, each with 1 and 2
 * broker replicas, with Redis CPU and commands per build per shard; then Redis memory per queued
 * build. Every build is the ~2 KB Screwdriver start message, spread evenly over `clusters` clusters;
 * where their queues land is the broker's key layout's doing, so each row counts the queues per shard.
 */
export async function brokerShards(ctx: BenchContext, options: ShardOptions, errors: string[]): Promise<ShardFigures> {
  const names = clusterNames(options.clusters);
  const figures: ShardFigures = {
    clusters: names,
    jobs: options.jobs,
    payloadBytes: JSON.stringify(screwdriverStartMessage(1, names[0]!)).length,
    rows: [],
    memory: [],
  };
  mkdirSync(options.logDir, { recursive: true });
  let basePort = options.basePort;
  for (const setup of SHARD_SETUPS) {
    let backend: Backend | null = null;
    const port = basePort;
    basePort += (setup.masters ?? 0) * (1 + setup.replicasPerMaster);
    try {
      const logFile = join(options.logDir, `brokers-${setup.label.replace(/[^a-z0-9]+/gi, '-')}.log`);
      backend = await startBackend(ctx, setup, port, logFile);
      for (const count of setup.brokers) {
        const label = `shards, ${setup.label}, ${count} broker(s)`;
        try {
          const nodes = backend.nodes;
          const row = await withBrokers(ctx, backend, count, async (brokers, client) => {
            const clusters = await registerClusters(client, ctx.adminToken, names);
            const shape = { jobs: options.jobs, warmup: warmupFor(options.jobs), producers: 50, pollers: 8, max: 100 };
            // What the brokers cost Redis while idle (their timers), to tell it apart from the builds' cost.
            const quiet = await nodes.sample();
            await sleep(IDLE_SECONDS * 1000);
            const idle = { nodes: nodeDeltas(quiet, await nodes.sample()), seconds: IDLE_SECONDS };
            const run = await brokerThroughput(ctx, brokers, clusters, { ...shape, payload: 'screwdriver' }, label, nodes);
            return rowOf(setup.label, count, run, await nodes.hashTagsByMaster(`${KEY_PREFIX}q:{*`), idle);
          });
          figures.rows.push(row);
          progress(
            `${label}: Redis ${row.redisUsPerBuild} µs/build net of idle (${row.grossRedisUsPerBuild} gross; idle ${row.idleRedisCpuPercent} %; ${row.shards.map((s) => s.cpuUsPerBuild).join('/')} by shard), ${row.commandsPerBuild} commands/build, load ${row.shards.map((s) => Math.round(s.commandShare)).join('/')} %, queues ${row.queuesByShard.join('/')}`,
          );
        } catch (err) {
          errors.push(`${label}: ${(err as Error).message.split('\n')[0]!} (brokers' log: ${backend.logFile})`);
          progress(`FAILED ${label}: ${(err as Error).message}`);
        }
      }
      if (MEMORY_SETUPS.has(setup.label)) {
        try {
          figures.memory.push(await queuedMemory(ctx, backend, setup.label, names, options.memoryBuilds));
        } catch (err) {
          errors.push(`shards, ${setup.label}, queued memory: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      errors.push(`shards, ${setup.label}: ${(err as Error).message}`);
      progress(`FAILED shards, ${setup.label}: ${(err as Error).message}`);
    } finally {
      await backend?.stop();
    }
  }
  return figures;
}
