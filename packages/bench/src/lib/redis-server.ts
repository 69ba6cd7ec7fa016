import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { spawnTracked, ServerChild } from './processes.js';
import { waitFor } from './log.js';

export interface RedisServerOptions {
  /** true: AOF on with fsync at every write (the chaos run); false: no persistence at all (the bench). */
  durable: boolean;
  maxClients?: number;
}

/**
 * A redis-server of our own on a free port, so measurements are not disturbed by the machine's
 * shared Redis and faults can be injected into it. Stop and start keep the same port and data dir.
 */
export class RedisServer extends ServerChild {
  readonly dir: string;
  port = 0;

  /** `stop` gives Redis 30 s to flush its AOF and exit cleanly; start() again reopens the same dir. */
  constructor(private readonly options: RedisServerOptions) {
    super(30_000);
    this.dir = mkdtempSync(join(tmpdir(), 'bcb-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const persistence = this.options.durable
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
      : ['--appendonly', 'no', '--save', ''];
    const child = spawnTracked(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
        '--maxclients',
        String(this.options.maxClients ?? 10000),
        '--loglevel',
        'warning',
        ...persistence,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (code !== 0 && signal === null) process.stderr.write(`redis-server on port ${this.port} exited with code ${code}\n`);
    });
    await waitFor(
      `redis-server on port ${this.port} to answer PING`,
      async () => {
        if (this.child !== child) throw new Error('redis-server exited during start');
        const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => {});
        try {
          await client.connect();
          // While the AOF loads Redis answers LOADING; wait for a real PONG.
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      },
      30_000,
    );
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  client(name = 'bench'): Redis {
    return new Redis(this.url, { connectionName: name, maxRetriesPerRequest: null });
  }
}

/** Parses INFO output into a flat map. */
export async function redisInfo(redis: Redis, section?: string): Promise<Record<string, string>> {
  const text = section ? await redis.info(section) : await redis.info();
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** Redis's own CPU seconds (user + sys, main thread and children). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redisInfo(redis, 'cpu');
  return Number(info.used_cpu_user ?? 0) + Number(info.used_cpu_sys ?? 0);
}

/** Client connections by name, excluding the asking connection itself. */
export async function redisClients(redis: Redis): Promise<Array<{ name: string; addr: string; cmd: string }>> {
  const list = (await redis.client('LIST')) as string;
  const me = String(await redis.client('ID'));
  return list
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=', 2) as [string, string])))
    .filter((fields) => fields.id !== me)
    .map((fields) => ({ name: fields.name ?? '', addr: fields.addr ?? '', cmd: fields.cmd ?? '' }));
}
