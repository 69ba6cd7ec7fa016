import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintLocalToken } from './api-keys.js';
import { dataDir } from './data-dir.js';

/**
 * `--demo`: a newcomer sees builds flow at once. Registers a cluster "demo" with a key pair made by
 * the worker CLI, runs one `buildcluster-worker` for it, and posts a build every few seconds as
 * Screwdriver would.
 */
const CLUSTER = 'demo';

async function api(base: string, method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function startDemo(base: string, say: (line: string) => void): Promise<() => Promise<void>> {
  const cli = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../packages/worker/bin/buildcluster-worker.js');
  if (!existsSync(cli)) throw new Error(`the worker CLI is missing (${cli}); run pnpm build first`);
  const dir = dataDir('demo');
  const keyFile = join(dir, `${CLUSTER}.key.pem`);
  const signOptionFile = join(dir, `${CLUSTER}.sign-option.json`);
  if (!existsSync(keyFile)) {
    const made = spawnSync(process.execPath, [cli, 'keygen', '--cluster', CLUSTER, '--out', dir], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`keygen failed: ${made.stderr}`);
  }
  const admin = mintLocalToken('admin', 24 * 3600, 'quickstart-demo');
  const publicKey = readFileSync(join(dir, `${CLUSTER}.pub.pem`), 'utf8');
  const signOption = JSON.parse(readFileSync(signOptionFile, 'utf8')) as Record<string, unknown>;
  const fields = {
    scmOrganization: 'demo-org',
    scmContext: 'github:github.com',
    managedBy: 'screwdriver',
    isActive: true,
    description: 'Demo cluster of the quick start (--demo)',
    publicKey,
    signOption,
  };
  const existing = await api(base, 'GET', `/v4/buildClusters/${CLUSTER}`, admin);
  const saved =
    existing.status === 404
      ? await api(base, 'PUT', '/v4/buildClusters', admin, { name: CLUSTER, ...fields })
      : await api(base, 'PUT', `/v4/buildClusters/${CLUSTER}`, admin, { isActive: true });
  if (!saved.ok) throw new Error(`could not register the demo cluster: ${saved.status} ${await saved.text()}`);
  say(`demo: cluster "${CLUSTER}" registered; starting a worker for it`);

  const worker = spawn(
    process.execPath,
    [
      cli,
      'run',
      '--broker',
      base,
      '--cluster',
      CLUSTER,
      '--key',
      keyFile,
      '--sign-option',
      signOptionFile,
      '--concurrency',
      '2',
      '--worker-id',
      'demo-worker',
      '--exec',
      'cat >/dev/null; sleep 2',
    ],
    // Its own process group: Ctrl-C reaches the quick start, which then stops the worker once, gracefully.
    { stdio: ['ignore', 'inherit', 'inherit'], detached: true },
  );

  const sdapi = mintLocalToken('sdapi', 24 * 3600, 'quickstart-demo');
  let next = Date.now();
  const timer = setInterval(() => {
    const buildId = next++;
    const message = {
      buildId,
      jobId: 1,
      eventId: 1,
      pipelineId: 1,
      jobName: 'main',
      // Named, so every demo build goes to the demo cluster (whose worker runs here), never to
      // another Screwdriver-managed cluster that may have no worker.
      buildClusterName: CLUSTER,
      pipeline: { id: 1, name: 'demo-org/hello', scmContext: 'github:github.com' },
    };
    api(base, 'POST', '/v1/queue/message', sdapi, message).catch(() => {});
  }, 3000);
  say('demo: posting a build every 3 s; watch them in the dashboard (the demo cluster is deactivated on exit)');

  return async () => {
    clearInterval(timer);
    // Left active, the demo cluster would keep taking builds with no worker to run them.
    await api(base, 'PUT', `/v4/buildClusters/${CLUSTER}`, admin, { isActive: false }).catch(() => {});
    if (worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((done) => worker.once('exit', done));
    }
  };
}
