import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Broker } from './broker.js';
import { call } from './http.js';
import { LAUNCHER, WORKER_BIN } from './paths.js';
import { Service } from './service.js';

/** What the launcher wrote for one message (see launcher/launcher.mjs). */
export interface LauncherRecord {
  type: 'start' | 'stop';
  attempt: string;
  buildId: number;
  message: Record<string, unknown> & { token?: string };
  tokenClaims: Record<string, unknown> | null;
  calls: Array<{
    method: string;
    path: string;
    body?: unknown;
    status: number | null;
    answer?: unknown;
    /** When it was sent and when its answer came (ISO). */
    at: string;
    answeredAt?: string;
  }>;
  outcome: string;
  /** When the launcher process started (ISO). */
  startedAt: string;
  error?: string;
}

export interface Worker {
  cluster: string;
  service: Service;
  /** Every record the launcher wrote, by `<buildId>-<type>-<attempt>`. */
  records(): Map<string, LauncherRecord>;
  recordsOf(buildId: number): LauncherRecord[];
  /** The messages the command was run for, in order (`start`/`stop`), noted by the shell before the launcher starts. */
  deliveriesOf(buildId: number): Array<{ type: string; attempt: number }>;
  stop: () => Promise<void>;
}

/**
 * A build cluster as its admin brings one: `buildcluster-worker keygen`, the registration with the
 * broker (PUT /v4/buildClusters), then `buildcluster-worker run --exec <launcher>`.
 */
export async function startWorker(
  broker: Broker,
  cluster: { name: string; scmContext: string; scmOrganization: string },
  logFile?: string,
): Promise<Worker> {
  const dir = mkdtempSync(join(tmpdir(), `sdc-worker-${cluster.name}-`));
  const launcherDir = mkdtempSync(join(tmpdir(), `sdc-launcher-${cluster.name}-`));
  const keygen = await promisify(execFile)(process.execPath, [WORKER_BIN, 'keygen', '--cluster', cluster.name, '--out', dir]);
  const body = JSON.parse(keygen.stdout) as Record<string, unknown>;
  Object.assign(body, { scmContext: cluster.scmContext, scmOrganization: cluster.scmOrganization, managedBy: 'screwdriver' });
  const registered = await call('PUT', `${broker.url}/v4/buildClusters`, broker.adminToken, body);
  if (registered.status !== 201) {
    throw new Error(`registering cluster ${cluster.name} answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  }
  const service = new Service(
    `worker ${cluster.name}`,
    process.execPath,
    [
      WORKER_BIN,
      'run',
      '--broker',
      broker.url,
      '--cluster',
      cluster.name,
      '--key',
      join(dir, `${cluster.name}.key.pem`),
      '--sign-option',
      join(dir, `${cluster.name}.sign-option.json`),
      '--exec',
      `echo "$BUILD_ID $MESSAGE_TYPE $BUILD_ATTEMPT" >> "$LAUNCHER_DIR/deliveries.log"; exec "${process.execPath}" "${LAUNCHER}"`,
      // Room for the held timeout build, the builds of the blockedBy and collapse scenarios that
      // run beside it, and their stop messages.
      '--concurrency',
      '8',
    ],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LAUNCHER_DIR: launcherDir, BUILDCLUSTER_POLL_WAIT_MS: '5000' },
      logFile,
    },
  );
  await service.waitForOutput(/polling .* for builds of cluster/, 30_000);
  const records = () => {
    const seen = new Map<string, LauncherRecord>();
    for (const file of readdirSync(launcherDir).filter((f) => f.endsWith('.json'))) {
      try {
        seen.set(file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(launcherDir, file), 'utf8')) as LauncherRecord);
      } catch {
        // Being renamed into place this instant; the next look sees it.
      }
    }
    return seen;
  };
  return {
    cluster: cluster.name,
    service,
    records,
    recordsOf: (buildId) => [...records().values()].filter((r) => r.buildId === buildId),
    deliveriesOf(buildId) {
      const log = join(launcherDir, 'deliveries.log');
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8')
        .split('\n')
        .map((line) => line.split(' '))
        .filter(([id]) => id === String(buildId))
        .map(([, type, attempt]) => ({ type: type!, attempt: Number(attempt) }));
    },
    stop: async () => {
      // A second SIGTERM makes the worker stop the commands still running (a held build).
      service.child.kill('SIGTERM');
      setTimeout(() => service.isRunning && service.child.kill('SIGTERM'), 500).unref();
      await service.stop(15_000);
      rmSync(dir, { recursive: true, force: true });
      rmSync(launcherDir, { recursive: true, force: true });
    },
  };
}
