import { mkdirSync, openSync, closeSync } from 'node:fs';
import { BROKER_SERVER, REPO_ROOT, requireBuiltBroker } from './repo.js';
import { freePort } from './ports.js';
import { spawnTracked, exited, ServerChild } from './processes.js';
import { JsonClient } from './http.js';
import { waitFor } from './log.js';

export interface BrokerProcessOptions {
  databaseUrl: string;
  redisUrl: string;
  apiPublicKey: string;
  /** Extra environment (LEASE_MS, MAX_ATTEMPTS, REDIS_KEY_PREFIX, ...). */
  env?: Record<string, string>;
  /** Write a V8 CPU profile into this folder when the process exits (node --cpu-prof). */
  cpuProfileDir?: string;
  port?: number;
  label?: string;
  /** Append the broker's stdout/stderr here instead of this terminal. */
  logFile?: string;
}

/**
 * The broker as production runs it: `node apps/broker/dist/server.js`, configured only by its
 * environment, in a process of its own so its CPU and memory are its own.
 */
export class BrokerProcess extends ServerChild {
  port = 0;
  /** Exit code/signal of the last run, for the chaos log. */
  lastExit: string | null = null;

  /** `stop` gives the broker 20 s to answer its waiting polls, finish its requests and write its CPU profile. */
  constructor(private readonly options: BrokerProcessOptions) {
    super(20_000);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error(`broker ${this.options.label ?? ''} is not running`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    requireBuiltBroker();
    if (this.port === 0) this.port = this.options.port ?? (await freePort());
    const execArgv: string[] = [];
    if (this.options.cpuProfileDir) {
      mkdirSync(this.options.cpuProfileDir, { recursive: true });
      execArgv.push('--cpu-prof', `--cpu-prof-dir=${this.options.cpuProfileDir}`);
    }
    const logFd = this.options.logFile ? openSync(this.options.logFile, 'a') : null;
    const output = logFd ?? 'inherit';
    const child = spawnTracked(process.execPath, [...execArgv, BROKER_SERVER], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: this.options.databaseUrl,
        REDIS_URL: this.options.redisUrl,
        API_JWT_PUBLIC_KEY: this.options.apiPublicKey,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...this.options.env,
      },
      stdio: ['ignore', output, output],
    });
    if (logFd !== null) closeSync(logFd);
    this.child = child;
    child.once('exit', (code, signal) => {
      this.lastExit = signal ?? `code ${code}`;
    });
    const client = new JsonClient(this.url, { maxSockets: 1 });
    // A broker that exits during start (a bad setting, Redis refusing) fails at once, not at the timeout.
    const died = exited(child).then(() => {
      throw new Error(`broker ${this.options.label ?? ''} exited during start (${this.lastExit})`);
    });
    died.catch(() => {});
    try {
      const ready = waitFor(
        `broker ${this.options.label ?? ''} on port ${this.port} to be ready`,
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`broker exited during start (${this.lastExit})`);
          }
          const answer = await client.request('GET', '/v4/status/ready', { timeoutMs: 2000 });
          return answer.status === 200;
        },
        60_000,
        100,
      );
      ready.catch(() => {});
      await Promise.race([ready, died]);
    } finally {
      client.close();
    }
  }

  exited(): Promise<void> {
    return this.child ? exited(this.child) : Promise.resolve();
  }
}
