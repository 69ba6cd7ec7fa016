import { Redis } from 'ioredis';
import { startRedisCluster, type LocalRedisCluster } from '@buildcluster/testkit/redis-cluster';
import { BrokerProcess } from '../lib/broker-process.js';
import { createBenchDatabase } from '../lib/database.js';
import { JsonClient } from '../lib/http.js';
import { progress, sleep } from '../lib/log.js';
import { forgetPid, killPidOnExit } from '../lib/processes.js';
import { RedisNodes } from '../lib/redis-nodes.js';
import type { BenchContext } from './context.js';

/** One Redis setup of the shard rows: the bench's own Redis, or a local Redis Cluster. */
export interface ShardSetup {
  label: string;
  /** null: the bench's single Redis (no cluster) */
  masters: number | null;
  replicasPerMaster: number;
  /** REDIS_WAIT_REPLICAS of the brokers (0: not set) */
  waitReplicas: number;
  /** broker replica counts measured on this setup */
  brokers: number[];
}

/** A started setup: its nodes (to sample and flush) and how a broker reaches it. */
export interface Backend {
  nodes: RedisNodes;
  /** where the brokers of this setup write their output */
  logFile: string;
  redisUrl: string;
  brokerEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** A setup's nodes take `basePort ..` and their bus ports `basePort + 50 ..` (at most 10 nodes in all). */
export const BUS_PORT_OFFSET = 50;

async function nodePid(address: string): Promise<number> {
  const [host, port] = address.split(':');
  const probe = new Redis({ host, port: Number(port), maxRetriesPerRequest: 1 });
  try {
    return Number(/process_id:(\d+)/.exec(await probe.info('server'))?.[1]);
  } finally {
    probe.disconnect();
  }
}

/**
 * The bench's ports are inside the machine's ephemeral range, where an outgoing connection of any
 * process may hold one for a moment; a node that cannot bind its port is tried again a few times.
 */
async function startCluster(setup: ShardSetup, basePort: number): Promise<LocalRedisCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisCluster({
        masters: setup.masters!,
        replicasPerMaster: setup.replicasPerMaster,
        basePort,
        // Bus ports next to the nodes' own (+10000 would leave the section's own ports).
        busPortOffset: BUS_PORT_OFFSET,
        minReplicasToWrite: setup.replicasPerMaster > 0 ? 1 : 0,
      });
    } catch (err) {
      if (attempt >= 4) throw err;
      progress(`shards: ${(err as Error).message}; trying again`);
      await sleep(2000);
    }
  }
}

export async function startBackend(ctx: BenchContext, setup: ShardSetup, basePort: number, logFile: string): Promise<Backend> {
  if (setup.masters === null) {
    const nodes = new RedisNodes([`127.0.0.1:${ctx.redis.port}`]);
    return { nodes, logFile, redisUrl: ctx.redis.url, brokerEnv: {}, stop: () => Promise.resolve(nodes.close()) };
  }
  progress(
    `shards: starting a Redis Cluster of ${setup.masters} master(s) + ${setup.replicasPerMaster} replica(s) each on ports ${basePort}+`,
  );
  const cluster = await startCluster(setup, basePort);
  // The test kit's nodes are not this run's children: make sure a Ctrl-C or a crash ends them too.
  const pids = await Promise.all(cluster.nodes.map(nodePid)).catch(() => [] as number[]);
  for (const pid of pids) if (pid > 0) killPidOnExit(pid);
  const nodes = new RedisNodes(cluster.nodes);
  return {
    nodes,
    logFile,
    redisUrl: `redis://${cluster.nodes[0]!}`,
    brokerEnv: {
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      ...(setup.waitReplicas > 0 ? { REDIS_WAIT_REPLICAS: String(setup.waitReplicas) } : {}),
    },
    async stop() {
      nodes.close();
      await cluster.stop();
      for (const pid of pids) forgetPid(pid);
    },
  };
}

/**
 * `count` broker replicas on one fresh database and the backend flushed, started one after the
 * other (the first migrates the database); all stopped afterwards, also on failure.
 */
export async function withBrokers<T>(
  ctx: BenchContext,
  backend: Backend,
  count: number,
  run: (brokers: BrokerProcess[], client: JsonClient) => Promise<T>,
): Promise<T> {
  await backend.nodes.flush();
  const database = await createBenchDatabase('shards');
  const brokers: BrokerProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const broker = new BrokerProcess({
        databaseUrl: database.url,
        redisUrl: backend.redisUrl,
        apiPublicKey: ctx.apiKeys.publicKey,
        label: `shards-${i}`,
        env: backend.brokerEnv,
        logFile: backend.logFile,
      });
      brokers.push(broker);
      await broker.start();
    }
    const client = new JsonClient(brokers[0]!.url, { maxSockets: 16 });
    try {
      return await run(brokers, client);
    } finally {
      client.close();
    }
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
    await database.drop().catch(() => {});
  }
}
