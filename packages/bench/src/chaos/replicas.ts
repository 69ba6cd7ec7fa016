import { join } from 'node:path';
import { BrokerProcess } from '../lib/broker-process.js';

/**
 * The run's broker replicas, on one PostgreSQL and Redis. A replica is SIGKILLed and started
 * again by one caller at a time (the fault schedule, or a kill in the middle of a release), and
 * never while the other is down, so one replica always answers.
 */
export class ReplicaSet {
  readonly replicas: BrokerProcess[] = [];
  private readonly restarting = new Set<number>();

  constructor(
    private readonly options: {
      databaseUrl: string;
      redisUrl: string;
      apiPublicKey: string;
      env: Record<string, string>;
      logDir: string;
    },
  ) {}

  /** Starts `count` replicas one after the other (each runs the migrations at start). */
  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const replica = new BrokerProcess({
        databaseUrl: this.options.databaseUrl,
        redisUrl: this.options.redisUrl,
        apiPublicKey: this.options.apiPublicKey,
        env: this.options.env,
        label: `replica-${i}`,
        logFile: join(this.options.logDir, `replica-${i}.log`),
      });
      await replica.start();
      this.replicas.push(replica);
    }
  }

  /** Each replica's current URL (a replica keeps its port across restarts). */
  get urls(): Array<() => string> {
    return this.replicas.map((r) => () => r.url);
  }

  /** SIGKILL and start again; false when this or another replica is being restarted already. */
  async killAndRestart(index: number, fault: (what: string) => void): Promise<boolean> {
    if (this.restarting.size > 0) return false;
    this.restarting.add(index);
    try {
      fault(`SIGKILL replica ${index}`);
      await this.replicas[index]!.kill();
      await this.replicas[index]!.start();
      fault(`replica ${index} started again`);
      return true;
    } finally {
      this.restarting.delete(index);
    }
  }

  /** Waits for a restart under way to end (the fault schedule's kills must all happen). */
  async idle(): Promise<void> {
    while (this.restarting.size > 0) await new Promise((r) => setTimeout(r, 50));
  }

  async stopAll(): Promise<void> {
    for (const replica of this.replicas) await replica.stop().catch(() => {});
  }
}
