import { onNode, startRedisCluster, type LocalRedisCluster } from '@buildcluster/testkit/redis-cluster';
import { sleep, wallNow } from '../lib/log.js';
import { TAIL_MS } from './failover-report.js';

/** One master failover of the run, as the report prints it. */
export interface Failover {
  /** the master SIGKILLed, and the replica that took its slots */
  killed: string;
  promoted: string;
  slots: string;
  /** keys on the killed master just before (the run kills the busiest shard not hit yet) */
  keys: number;
  /** wall-clock ms of the SIGKILL, and the acked builds (ledger) then */
  at: number;
  progress: number;
  /** how long the replica was held back (SIGSTOP) before the kill, so it was stalled when its master died */
  replicaLagMs: number;
  /** from the SIGKILL: the replica took over, the killed node was started again, a write with WAIT 1 went through */
  promotedAfterMs: number;
  restartedAfterMs: number;
  writesResumedAfterMs: number | null;
}

interface Shard {
  from: number;
  to: number;
  master: string;
  replicas: string[];
}

const nodeAddress = (entry: unknown[]) => `${String(entry[0])}:${String(entry[1])}`;
const pidOf = (address: string) =>
  onNode(address, async (c) => Number(/process_id:(\d+)/.exec(await c.info('server'))?.[1] ?? 0));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The node ports lie in Linux's ephemeral range, so an outgoing connection of any process may hold
 * one for a moment and a node fails to bind: try again on the same ports a few times.
 */
async function startWithRetries(basePort: number): Promise<LocalRedisCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisCluster({ basePort, minReplicasToWrite: 1 });
    } catch (err) {
      if (attempt === 3) throw err;
      await sleep(2000);
    }
  }
}

/**
 * The chaos run's Redis Cluster (testkit's startRedisCluster: 3 masters + 3 replicas,
 * min-replicas-to-write 1) and the faults only a cluster has. A master failover holds the
 * master's replica back for a moment first (SIGSTOP), so the brokers' WAITs stall on it as on a
 * loaded replica, then SIGKILLs the master: the ledger then shows whether any write the brokers
 * answered was missing on the promoted replica. The killed node is started
 * again after `masterDownMs` and rejoins as a replica; until then its shard refuses writes
 * (min-replicas-to-write 1), which the brokers answer 503.
 */
export class ChaosRedisCluster {
  readonly failovers: Failover[] = [];
  connectionDrops = 0;
  private readonly hitShards = new Set<number>();
  /** node address → redis-server pid, SIGKILLed if this process exits on a signal or the watchdog */
  private readonly pids = new Map<string, number>();
  private readonly killNodes = () => {
    for (const pid of this.pids.values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  };
  private running: Promise<void> | null = null;
  private error: Error | null = null;

  private constructor(
    private readonly cluster: LocalRedisCluster,
    private readonly options: { masterDownMs: number; replicaLagMs: number },
  ) {}

  static async start(options: { basePort: number; masterDownMs: number }): Promise<ChaosRedisCluster> {
    const cluster = await startWithRetries(options.basePort);
    const chaos = new ChaosRedisCluster(cluster, { masterDownMs: options.masterDownMs, replicaLagMs: 500 });
    for (const address of cluster.nodes) chaos.pids.set(address, await pidOf(address));
    process.on('exit', chaos.killNodes);
    return chaos;
  }

  /** The brokers' Redis settings: the cluster's nodes, and WAIT 1 after each state change. */
  brokerEnv(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.cluster.nodes.join(','), REDIS_WAIT_REPLICAS: '1' };
  }

  /** A node's URL, for settings that want one (REDIS_URL is not used once REDIS_CLUSTER_NODES is set). */
  get url(): string {
    return `redis://${this.cluster.nodes[0]!}`;
  }

  /** True while a failover (kill, promotion, restart) is under way. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Starts a failover in the background (the flow and the worker kills go on meanwhile). */
  startFailover(fault: (what: string) => void, progress: number): void {
    if (this.running) return;
    this.running = this.failover(fault, progress)
      .catch((err: Error) => void (this.error ??= err))
      .finally(() => (this.running = null));
  }

  /** Waits for a failover under way; throws what went wrong in one. */
  async idle(): Promise<void> {
    await this.running;
    if (this.error) throw this.error;
  }

  /** The single Redis's restart, on a cluster: every client connection of every node is closed at once. */
  async dropConnections(fault: (what: string) => void): Promise<void> {
    let dropped = 0;
    for (const address of this.cluster.nodes) {
      dropped += await onNode(address, async (c) => {
        const normal = Number(await c.call('CLIENT', 'KILL', 'TYPE', 'normal'));
        return normal + Number(await c.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
      }).catch(() => 0);
    }
    this.connectionDrops++;
    fault(`closed all ${dropped} client connections of the Redis Cluster's nodes`);
  }

  async stop(): Promise<void> {
    await this.running?.catch(() => {});
    await this.cluster.stop();
    process.off('exit', this.killNodes);
  }

  private async shards(): Promise<Shard[]> {
    const masters = await this.cluster.masters();
    const slots = (await onNode(masters[0]!, (c) => c.call('CLUSTER', 'SLOTS'))) as unknown[][];
    // The replicas come from each master's own INFO (CLUSTER SLOTS lists them only once gossip has).
    return Promise.all(
      slots.map(async (entry) => {
        const master = nodeAddress(entry[2] as unknown[]);
        const info = await onNode(master, (c) => c.info('replication'));
        const replicas = [...info.matchAll(/^slave\d+:ip=([^,]+),port=(\d+),state=online/gm)].map((m) => `${m[1]}:${m[2]}`);
        return { from: Number(entry[0]), to: Number(entry[1]), master, replicas };
      }),
    );
  }

  private async failover(fault: (what: string) => void, progress: number): Promise<void> {
    const candidates = (await this.shards()).filter((s) => !this.hitShards.has(s.from) && s.replicas.length > 0);
    const sized = await Promise.all(candidates.map(async (s) => ({ shard: s, keys: await onNode(s.master, (c) => c.dbsize()) })));
    const target = sized.sort((a, b) => b.keys - a.keys)[0];
    if (!target) throw new Error('no shard of the Redis Cluster is left to fail over');
    const { shard, keys } = target;
    this.hitShards.add(shard.from);
    const replica = shard.replicas[0]!;
    const [masterPid, replicaPid] = await Promise.all([pidOf(shard.master), pidOf(replica)]);
    const probeKey = await this.keyInSlots(shard);

    process.kill(replicaPid, 'SIGSTOP');
    let resumed = false;
    const resume = () => {
      if (!resumed) process.kill(replicaPid, 'SIGCONT');
      resumed = true;
    };
    let at: number;
    let promoted: string;
    try {
      fault(`replica ${replica} held back (SIGSTOP) for ${this.options.replicaLagMs} ms, so it is stalled when its master dies`);
      await sleep(this.options.replicaLagMs);
      at = wallNow();
      fault(`SIGKILL Redis master ${shard.master} (slots ${shard.from}-${shard.to}, ${keys} keys)`);
      const killing = this.cluster.killMaster(shard.master);
      // The replica runs again once its master is gone (at most 3 s: never hold it past the node timeout for long).
      for (const until = wallNow() + 3000; alive(masterPid) && wallNow() < until;) await sleep(10);
      resume();
      promoted = (await killing).promoted;
    } finally {
      resume();
    }
    const promotedAfterMs = wallNow() - at;
    fault(`replica ${promoted} took over ${shard.master}'s slots (${(promotedAfterMs / 1000).toFixed(1)} s)`);
    const writes = this.waitForWrites(promoted, probeKey, at);
    await sleep(this.options.masterDownMs);
    fault(`Redis node ${shard.master} started again`);
    await this.cluster.restart(shard.master);
    this.pids.set(shard.master, await pidOf(shard.master));
    const restartedAfterMs = wallNow() - at;
    fault(`Redis node ${shard.master} rejoined as a replica of ${promoted}`);
    const writesResumedAfterMs = await writes;
    if (writesResumedAfterMs !== null)
      fault(
        `writes on slots ${shard.from}-${shard.to} (SET + WAIT 1) go through again (${(writesResumedAfterMs / 1000).toFixed(1)} s after the kill)`,
      );
    this.failovers.push({
      killed: shard.master,
      promoted,
      slots: `${shard.from}-${shard.to}`,
      keys,
      at,
      progress,
      replicaLagMs: this.options.replicaLagMs,
      promotedAfterMs: Math.round(promotedAfterMs),
      restartedAfterMs: Math.round(restartedAfterMs),
      writesResumedAfterMs: writesResumedAfterMs === null ? null : Math.round(writesResumedAfterMs),
    });
    // The report counts failures until TAIL_MS after writes came back: keep the next fault out of that window.
    await sleep(TAIL_MS);
  }

  /** A key of the shard's slots (the probe writes it), found with CLUSTER KEYSLOT. */
  private async keyInSlots(shard: Shard): Promise<string> {
    return onNode(shard.master, async (c) => {
      for (let n = 0; ; n++) {
        const key = `chaos-write-probe-${n}`;
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
        if (slot >= shard.from && slot <= shard.to) return key;
      }
    });
  }

  /** ms from `since` until a SET on the new master is confirmed by WAIT 1 (null: not within 60 s). */
  private async waitForWrites(master: string, key: string, since: number): Promise<number | null> {
    const until = wallNow() + 60_000;
    while (wallNow() < until) {
      const replicated = await onNode(master, async (c) => {
        await c.set(key, String(wallNow()));
        return Number(await c.call('WAIT', '1', '500'));
      }).catch(() => 0);
      if (replicated >= 1) return wallNow() - since;
      await sleep(100);
    }
    return null;
  }
}
