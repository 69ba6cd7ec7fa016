import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker } from './broker.js';
import { rsaPair } from '@buildcluster/testkit/keys';
import type { RequestCount } from './metrics.js';
import { SCM_CONTEXT, startScrewdriverApi, type Repository, type ScrewdriverApi } from './screwdriver-api.js';
import { startWorker, type Worker } from './worker.js';

export interface Stack {
  broker: Broker;
  api: ScrewdriverApi;
  worker: Worker;
  /** The broker's request counters right after it started (before any Screwdriver call). */
  countsAtStart: RequestCount[];
  /** Prints the last lines of every part's output, and keeps the full logs (for a failing test). */
  dumpLogs(): void;
  stop(): Promise<void>;
}

export interface StackOptions {
  repositories: Repository[];
  cluster: { name: string; scmOrganization: string };
  brokerEnv?: Record<string, string>;
}

/** PostgreSQL databases, the broker, the real Screwdriver API and a worker, wired as in production. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const apiKeys = rsaPair();
  const queueKeys = rsaPair();
  const logDir = mkdtempSync(join(tmpdir(), 'sdc-logs-'));
  // SDC_KEEP_LOGS=1 keeps them after a green run too (to read what each part said).
  let keepLogs = process.env.SDC_KEEP_LOGS === '1';
  const stops: Array<() => Promise<void>> = [];
  const parts: Array<{ name: string; tail: () => string }> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((err: unknown) => console.error('teardown:', err));
    if (keepLogs) console.error(`logs of the broker, the Screwdriver API and the worker: ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  };
  const dumpLogs = () => {
    keepLogs = true;
    for (const part of parts) console.error(`\n===== ${part.name} (last lines) =====\n${part.tail()}`);
    console.error(`\nfull logs: ${logDir}`);
  };
  try {
    const broker = await startBroker({ apiKeys, queueKeys, env: options.brokerEnv, logFile: join(logDir, 'broker.log') });
    stops.push(broker.stop);
    parts.push({ name: 'broker', tail: () => broker.service.tail() });
    const countsAtStart = await broker.requestCounts();
    const api = await startScrewdriverApi({
      keys: apiKeys,
      queueServicePublicKey: queueKeys.publicKey,
      brokerUrl: broker.url,
      repositories: options.repositories,
      logFile: join(logDir, 'screwdriver-api.log'),
    });
    stops.push(api.stop);
    parts.push({ name: 'screwdriver-api', tail: () => api.service.tail() });
    const worker = await startWorker(broker, { ...options.cluster, scmContext: SCM_CONTEXT }, join(logDir, 'worker.log'));
    stops.push(worker.stop);
    parts.push({ name: `worker ${worker.cluster}`, tail: () => worker.service.tail() });
    return { broker, api, worker, countsAtStart, dumpLogs, stop };
  } catch (err) {
    dumpLogs();
    await stop();
    throw err;
  }
}
