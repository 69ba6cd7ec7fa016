import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll } from 'vitest';
import { startTestBroker, type TestBroker } from './broker.js';
import { api, connectArgs, startMessage, type RegisteredCluster } from './cli-harness.js';

/** The test executor plugin, loaded by the CLI through `--executor <path>`. */
export const TEST_EXECUTOR = fileURLToPath(new URL('./fixtures/test-executor.js', import.meta.url));

export interface ExecutorRecord {
  call: 'start' | 'stop' | 'verify' | 'hasBuild' | 'pod';
  phase: string;
  buildId: number;
  pid: number;
  at: number;
  message: Record<string, unknown>;
  answer?: unknown;
  kind?: string;
}

export function readRecords(file: string, buildId?: number): ExecutorRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExecutorRecord)
    .filter((r) => buildId === undefined || r.buildId === buildId);
}

/** The executor config as buildcluster-queue-worker's `executor` section, written as YAML. */
export function writeExecutorConfig(dir: string, document: Record<string, unknown>, name = 'executor.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(document));
  return file;
}

export function testExecutorConfig(dir: string): { configFile: string; recordFile: string } {
  const recordFile = join(dir, 'calls.jsonl');
  const configFile = writeExecutorConfig(dir, { 'test-executor': { options: { recordFile } } });
  return { configFile, recordFile };
}

export function executorArgs(
  broker: TestBroker,
  cluster: RegisteredCluster,
  executor: string,
  configFile: string,
  extra: string[] = [],
) {
  return [...connectArgs(broker.url, cluster), '--executor', executor, '--executor-config', configFile, ...extra];
}

/** A launcher token as the broker puts it in the start message at delivery (here: posted with it). */
export const LAUNCHER_TOKEN = 'test-temporal-token';

export async function enqueueBuild(
  broker: TestBroker,
  buildId: number,
  cluster: string,
  apiUri: string,
  steer: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const message: Record<string, unknown> = {
    ...startMessage(buildId, cluster),
    apiUri,
    token: LAUNCHER_TOKEN,
    testExecutor: steer,
  };
  // Screwdriver leaves prNum out of a build that is not a PR; executor-base's schema refuses null.
  delete message.prNum;
  const res = await api(broker, 'POST', '/v1/queue/message', broker.sdapiToken, message);
  if (res.status !== 201) throw new Error(`enqueue ${buildId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return message;
}

export interface BuildUpdate {
  buildId: number;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/**
 * Stands in for the Screwdriver API's `PUT /v4/builds/{id}`, the one call the worker makes to it
 * (to report FAILURE), recording each update. `status` sets what it answers.
 */
export async function startScrewdriverStandIn() {
  const updates: BuildUpdate[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/v4\/builds\/(\d+)$/.exec(req.url ?? '');
      if (req.method !== 'PUT' || !match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"message":"Not Found"}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      updates.push({ buildId: Number(match[1]), authorization: req.headers.authorization, body });
      res.writeHead(state.status, { 'content-type': 'application/json' }).end(JSON.stringify({ id: Number(match[1]), ...body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    updates,
    state,
    of: (buildId: number) => updates.filter((u) => u.buildId === buildId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type ScrewdriverStandIn = Awaited<ReturnType<typeof startScrewdriverStandIn>>;

/**
 * For the enclosing `describe`: a listening broker (with `brokerEnv`) and a Screwdriver stand-in,
 * started before its tests, handed to `ready`, and closed after them.
 */
export function brokerAndScrewdriver(
  brokerEnv: Record<string, string>,
  ready: (broker: TestBroker, sd: ScrewdriverStandIn) => void,
): void {
  let broker: TestBroker | undefined;
  let sd: ScrewdriverStandIn | undefined;
  beforeAll(async () => {
    broker = await startTestBroker({ listen: true, env: brokerEnv });
    sd = await startScrewdriverStandIn();
    ready(broker, sd);
  });
  afterAll(async () => {
    await sd?.close();
    await broker?.close();
  });
}
