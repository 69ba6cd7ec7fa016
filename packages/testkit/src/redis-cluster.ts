import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/**
 * A local Redis Cluster of Debian's `redis-server` on loopback ports: `masters` masters with
 * `replicasPerMaster` replicas each, created with `redis-cli --cluster create` (or a single master
 * holding every slot, for the bench's one-shard rows), no Docker. For the
 * tests, the chaos run and the bench; `REDIS_CLUSTER_NODES` of a broker is `nodes.join(',')`.
 *
 * Every master runs with `min-replicas-to-write` (default 1): a master cut off from its replica
 * refuses writes instead of taking builds a failover would lose.
 */
export interface LocalRedisCluster {
  /** `127.0.0.1:<port>` of every node, masters first as created. */
  nodes: string[];
  /** The node that serves a slot now (after failovers, a promoted replica). */
  masterOf(slot: number): Promise<string>;
  /** `host:port` of every current master. */
  masters(): Promise<string[]>;
  /**
   * SIGKILLs a master and waits until its replica has taken over and the cluster is ok again. With
   * `min-replicas-to-write`, that shard refuses writes until `restart(killed)` brings a replica back.
   */
  killMaster(node?: string): Promise<{ killed: string; promoted: string }>;
  /** Starts a killed node again (it rejoins as a replica of the promoted one). */
  restart(node: string): Promise<void>;
  /** Used CPU seconds (sys + user) of every running node, by address. */
  cpuSeconds(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** First port; the nodes take `basePort .. basePort + n - 1` (their bus ports are + `busPortOffset`). */
  basePort: number;
  /**
   * Bus port of a node minus its port (default 10000, Redis's own). +10000 from a port in the 30000s
   * or 40000s lands in the ephemeral range, where any outgoing connection may hold it.
   */
  busPortOffset?: number;
  /** `min-replicas-to-write` of every node (0 turns it off). */
  minReplicasToWrite?: number;
  /** `cluster-node-timeout`, ms: how long a silent master takes to be failed over. */
  nodeTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `run` on a standalone connection to one node that fails fast instead of queueing or reconnecting. */
export async function onNode<T>(address: string, run: (client: Redis) => Promise<T>): Promise<T> {
  const [host, port] = address.split(':');
  const client = new Redis({
    host,
    port: Number(port),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 500,
    commandTimeout: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

async function clusterInfo(address: string): Promise<Record<string, string>> {
  try {
    const text = (await onNode(address, (c) => c.call('CLUSTER', 'INFO'))) as string;
    return Object.fromEntries(
      text
        .split('\r\n')
        .filter(Boolean)
        .map((line) => line.split(':') as [string, string]),
    );
  } catch {
    return {};
  }
}

async function clusterNodes(
  address: string,
): Promise<Array<{ address: string; master: boolean; failed: boolean; slots: Array<[number, number]> }>> {
  const text = (await onNode(address, (c) => c.call('CLUSTER', 'NODES'))) as string;
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, addr = '', flags = '', , , , , , ...slots] = line.split(' ');
      return {
        address: addr.split('@')[0]!,
        master: flags.split(',').includes('master'),
        failed: /fail/.test(flags),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to] = s.split('-').map(Number);
            return [from!, to ?? from!] as [number, number];
          }),
      };
    });
}

/** Every master has `wanted` replicas online (a master under min-replicas-to-write refuses writes until then). */
async function replicasInSync(addresses: string[], wanted: number): Promise<boolean> {
  if (wanted === 0) return true;
  for (const address of addresses) {
    try {
      const text = await onNode(address, (c) => c.info('replication'));
      if (!/role:master/.test(text)) continue;
      const online = text.split('\r\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
      if (online < wanted) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export async function startRedisCluster(options: RedisClusterOptions): Promise<LocalRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicas);
  const minReplicas = options.minReplicasToWrite ?? (replicas > 0 ? 1 : 0);
  const nodeTimeout = options.nodeTimeoutMs ?? 2000;
  const root = mkdtempSync(join(tmpdir(), 'bcb-redis-cluster-'));
  const nodes = Array.from({ length: count }, (_, i) => `127.0.0.1:${options.basePort + i}`);
  const children = new Map<string, ChildProcess>();

  const startNode = (address: string) => {
    const port = address.split(':')[1]!;
    const dir = join(root, port);
    mkdirSync(dir, { recursive: true });
    const child = spawn(
      'redis-server',
      [
        '--port',
        port,
        '--cluster-port',
        String(Number(port) + (options.busPortOffset ?? 10000)),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        String(nodeTimeout),
        // A node that never met another reports an empty address in CLUSTER SLOTS; say it.
        '--cluster-announce-ip',
        '127.0.0.1',
        '--min-replicas-to-write',
        String(minReplicas),
        '--min-replicas-max-lag',
        '10',
      ],
      { stdio: 'ignore' },
    );
    children.set(address, child);
  };
  const answers = async (address: string) => Object.keys(await clusterInfo(address)).length > 0;
  /** cluster_state ok on every live node; with `synced`, also every master's replicas online. */
  const waitOk = async (timeoutMs: number, synced = true) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const live = [...children.keys()];
      const infos = await Promise.all(live.map(clusterInfo));
      if (infos.every((info) => info.cluster_state === 'ok') && (!synced || (await replicasInSync(live, minReplicas)))) return;
      await sleep(100);
    }
    throw new Error(`the local Redis Cluster did not reach cluster_state:ok within ${timeoutMs} ms`);
  };

  const stop = async () => {
    for (const child of children.values()) child.kill('SIGKILL');
    children.clear();
    await sleep(50);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    nodes.forEach(startNode);
    for (const address of nodes) {
      for (let i = 0; !(await answers(address)); i++) {
        if (i > 400) throw new Error(`redis-server on ${address} did not start (is redis-server installed?)`);
        await sleep(50);
      }
    }
    if (masters === 1 && replicas === 0) {
      // redis-cli refuses to create a cluster of fewer than 3 masters; one node takes every slot itself.
      await run('redis-cli', ['-p', nodes[0]!.split(':')[1]!, 'CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
    } else {
      if (masters < 3) throw new Error(`a local Redis Cluster has 1 master (no replicas) or at least 3, not ${masters}`);
      await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', String(replicas), '--cluster-yes']);
    }
    await waitOk(30_000);
  } catch (err) {
    await stop();
    throw err;
  }

  const live = () => [...children.keys()][0]!;
  const cluster: LocalRedisCluster = {
    nodes,
    async masterOf(slot) {
      const found = (await clusterNodes(live())).find(
        (n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b),
      );
      if (!found) throw new Error(`no master serves slot ${slot}`);
      return found.address;
    },
    async masters() {
      return (await clusterNodes(live())).filter((n) => n.master && !n.failed && n.slots.length > 0).map((n) => n.address);
    },
    async killMaster(node) {
      const target = node ?? (await cluster.masters())[0]!;
      const before = await clusterNodes(live());
      const slots = before.find((n) => n.address === target)?.slots ?? [];
      if (slots.length === 0) throw new Error(`${target} is not a master serving slots`);
      children.get(target)?.kill('SIGKILL');
      children.delete(target);
      const until = Date.now() + 30_000;
      for (;;) {
        if (Date.now() > until) throw new Error(`no replica took over from ${target} within 30 s`);
        const now = await clusterNodes(live()).catch(() => []);
        const promoted = now.find(
          (n) => n.master && !n.failed && n.address !== target && n.slots.some(([a]) => a === slots[0]![0]),
        );
        if (promoted) {
          // The promoted master has no replica until the killed node is back: with
          // min-replicas-to-write it refuses writes meanwhile (restart() brings the replica back).
          await waitOk(30_000, false);
          return { killed: target, promoted: promoted.address };
        }
        await sleep(100);
      }
    },
    async restart(node) {
      if (children.has(node)) return;
      startNode(node);
      for (let i = 0; !(await answers(node)); i++) {
        if (i > 100) throw new Error(`redis-server on ${node} did not restart`);
        await sleep(50);
      }
      await waitOk(30_000);
    },
    async cpuSeconds() {
      const entries = await Promise.all(
        [...children.keys()].map(async (address) => {
          const text = await onNode(address, (c) => c.info('cpu'));
          const field = (name: string) => Number(new RegExp(`\\b${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
          return [address, field('used_cpu_sys') + field('used_cpu_user')] as const;
        }),
      );
      return Object.fromEntries(entries);
    },
    stop,
  };
  return cluster;
}
