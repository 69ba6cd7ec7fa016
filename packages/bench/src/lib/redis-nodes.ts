import { Redis } from 'ioredis';

/** One Redis node's counters at one moment (INFO cpu, stats, memory, replication in one call). */
export interface NodeSample {
  address: string;
  /** the master this node serves as a replica of, or null for a master */
  replicaOf: string | null;
  cpuSeconds: number;
  commands: number;
  usedMemory: number;
}

/** What one node did between two samples; `shard` is the master's address (its own for a master). */
export interface NodeDelta {
  address: string;
  shard: string;
  replica: boolean;
  cpuSeconds: number;
  commands: number;
}

/**
 * The Redis nodes behind one measurement, a single Redis or every node of a cluster, each read over
 * a plain connection of its own (INFO answers on a cluster node without redirection), so Redis's
 * CPU and commands can be told apart per shard.
 */
export class RedisNodes {
  private readonly clients: Redis[];

  constructor(readonly addresses: string[]) {
    this.clients = addresses.map((address) => {
      const [host, port] = address.split(':');
      const client = new Redis({ host, port: Number(port), connectionName: 'bench-control', maxRetriesPerRequest: 2 });
      client.on('error', () => {});
      return client;
    });
  }

  async sample(): Promise<NodeSample[]> {
    return Promise.all(
      this.clients.map(async (client, i) => {
        const info = parseInfo((await client.call('INFO', 'cpu', 'stats', 'memory', 'replication')) as string);
        const replica = info.role === 'slave';
        return {
          address: this.addresses[i]!,
          replicaOf: replica ? `${info.master_host === 'localhost' ? '127.0.0.1' : info.master_host}:${info.master_port}` : null,
          cpuSeconds: Number(info.used_cpu_user ?? 0) + Number(info.used_cpu_sys ?? 0),
          commands: Number(info.total_commands_processed ?? 0),
          usedMemory: Number(info.used_memory ?? 0),
        };
      }),
    );
  }

  /** FLUSHALL on every master (replicas follow), so each measurement starts empty. */
  async flush(): Promise<void> {
    const samples = await this.sample();
    await Promise.all(this.clients.filter((_, i) => samples[i]!.replicaOf === null).map((c) => c.flushall()));
  }

  /**
   * Per master (by address, sorted), how many distinct hash tags its keys matching `pattern` have:
   * with `<prefix>q:{*`, how many queues each shard holds.
   */
  async hashTagsByMaster(pattern: string): Promise<number[]> {
    const samples = await this.sample();
    const masters = this.clients
      .map((client, i) => ({ client, address: this.addresses[i]!, master: samples[i]!.replicaOf === null }))
      .filter((n) => n.master)
      .sort((a, b) => a.address.localeCompare(b.address));
    return Promise.all(
      masters.map(async ({ client }) => {
        const tags = new Set<string>();
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          for (const key of keys) tags.add(/\{([^}]*)\}/.exec(key)?.[1] ?? key);
        } while (cursor !== '0');
        return tags.size;
      }),
    );
  }

  close(): void {
    for (const client of this.clients) client.disconnect();
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** Per node, what happened from `before` to `after` (the INFO calls themselves are a command or two). */
export function nodeDeltas(before: NodeSample[], after: NodeSample[]): NodeDelta[] {
  return after.map((a) => {
    const b = before.find((s) => s.address === a.address);
    return {
      address: a.address,
      shard: a.replicaOf ?? a.address,
      replica: a.replicaOf !== null,
      cpuSeconds: a.cpuSeconds - (b?.cpuSeconds ?? 0),
      commands: a.commands - (b?.commands ?? 0),
    };
  });
}

/** Redis work a build costs over one window: commands (masters only: a replica replays its master's writes) and CPU µs, all nodes. */
export interface RedisPerBuild {
  commands: number;
  cpuUs: number;
}

export function redisPerBuild(deltas: NodeDelta[], builds: number): RedisPerBuild {
  if (builds <= 0) return { commands: Number.NaN, cpuUs: Number.NaN };
  const commands = deltas.filter((d) => !d.replica).reduce((sum, d) => sum + d.commands, 0);
  const cpu = deltas.reduce((sum, d) => sum + d.cpuSeconds, 0);
  return { commands: Math.round((10 * commands) / builds) / 10, cpuUs: Math.round((1e6 * cpu) / builds) };
}

/** Masters' used_memory summed, and per master. */
export function mastersMemory(samples: NodeSample[]): { total: number; byShard: Record<string, number> } {
  const byShard: Record<string, number> = {};
  for (const s of samples) if (s.replicaOf === null) byShard[s.address] = s.usedMemory;
  return { total: Object.values(byShard).reduce((a, b) => a + b, 0), byShard };
}
