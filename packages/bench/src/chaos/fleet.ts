import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openSync, closeSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, killChild, stopChild } from '../lib/processes.js';
import { PACKAGE_DIR } from '../lib/repo.js';
import type { ChaosWorkerConfig } from './worker-process.js';
import type { SignOption } from '@buildcluster/worker';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface FleetCluster {
  name: string;
  privateKeyFile: string;
  signOption: SignOption;
}

interface Slot {
  index: number;
  cluster: FleetCluster;
  brokerUrl: () => string;
  incarnation: number;
  child: ChildProcess | null;
  workerId: string;
}

/**
 * The chaos workers: `size` slots, slot i serving cluster i mod C through replica i mod 2. A
 * killed slot is restarted as a new incarnation (new worker id, new ledger file).
 */
export class WorkerFleet {
  private readonly slots: Slot[];
  readonly killed = new Set<string>();
  /** incarnations that exited on their own, with their exit status */
  readonly unexpectedExits: string[] = [];
  private closing = false;

  constructor(
    size: number,
    clusters: FleetCluster[],
    brokerUrls: Array<() => string>,
    private readonly options: {
      ledgerDir: string;
      logDir: string;
      concurrency: number;
      buildMinMs: number;
      buildMaxMs: number;
      seed: number;
      /** worker ids are `<idPrefix><slot>-<incarnation>` (default `w`), unique across fleets */
      idPrefix?: string;
    },
  ) {
    this.slots = Array.from({ length: size }, (_, index) => ({
      index,
      cluster: clusters[index % clusters.length]!,
      brokerUrl: brokerUrls[index % brokerUrls.length]!,
      incarnation: 0,
      child: null,
      workerId: '',
    }));
  }

  get size(): number {
    return this.slots.length;
  }

  startAll(): void {
    for (const slot of this.slots) this.start(slot);
  }

  private start(slot: Slot): void {
    slot.workerId = `${this.options.idPrefix ?? 'w'}${slot.index}-${slot.incarnation}`;
    const config: ChaosWorkerConfig = {
      brokerUrl: slot.brokerUrl(),
      cluster: slot.cluster.name,
      privateKeyFile: slot.cluster.privateKeyFile,
      signOption: slot.cluster.signOption,
      workerId: slot.workerId,
      ledgerFile: join(this.options.ledgerDir, `worker-${slot.workerId}.jsonl`),
      concurrency: this.options.concurrency,
      buildMinMs: this.options.buildMinMs,
      buildMaxMs: this.options.buildMaxMs,
      seed: this.options.seed * 1000 + slot.index * 100 + slot.incarnation,
    };
    const log = openSync(join(this.options.logDir, `worker-${slot.workerId}.log`), 'a');
    const child = spawnTracked(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, JSON.stringify(config)], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    slot.child = child;
    const workerId = slot.workerId;
    child.once('exit', (code, signal) => {
      if (this.closing || this.killed.has(workerId)) return;
      this.unexpectedExits.push(`${workerId} exited by itself (${signal ?? `code ${code}`}); see its log`);
      if (slot.child === child) {
        slot.incarnation++;
        this.start(slot);
      }
    });
  }

  /** SIGKILLs one slot's worker and starts a new incarnation in its place. */
  async killAndRestart(index: number): Promise<string> {
    const slot = this.slots[index % this.slots.length]!;
    const victim = slot.workerId;
    this.killed.add(victim);
    if (slot.child) await killChild(slot.child);
    slot.incarnation++;
    this.start(slot);
    return victim;
  }

  /** SIGTERM to all: each stops polling, finishes and acks what it runs, and exits. */
  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => (slot.child ? stopChild(slot.child, 15_000) : Promise.resolve())));
  }
}
