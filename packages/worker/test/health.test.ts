import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestBroker } from './broker.js';
import {
  api,
  closedPort,
  connectArgs,
  keygenAndRegister,
  killAll,
  startCli,
  waitForState,
  type CliProcess,
} from './cli-harness.js';
import {
  TEST_EXECUTOR,
  enqueueBuild,
  executorArgs,
  testExecutorConfig,
  brokerAndScrewdriver,
  type ScrewdriverStandIn,
} from './executor-harness.js';
import { waitFor } from './tiny-server.js';

/* --health-port: /health follows the broker connection, /metrics counts what the worker did. */

afterEach(async () => {
  await killAll();
});

async function healthUrl(cli: CliProcess): Promise<string> {
  await cli.waitForStderr(/health and metrics on http:\/\/127\.0\.0\.1:\d+\/health/);
  return /health and metrics on (http:\/\/127\.0\.0\.1:\d+)\/health/.exec(cli.stderr())![1]!;
}

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? NaN : Number(line.split(' ').pop());
}

describe('health and metrics', () => {
  let broker: TestBroker;
  let sd: ScrewdriverStandIn;
  brokerAndScrewdriver({ MAX_ATTEMPTS: '2' }, (started, standIn) => ([broker, sd] = [started, standIn]));
  const env = { BUILDCLUSTER_HEALTH_HOST: '127.0.0.1' };

  it('/health is 200 while the broker answers and /metrics counts builds; 503 with the reason once the cluster is refused', async () => {
    const cluster = await keygenAndRegister(broker, 'health-1');
    const { configFile } = testExecutorConfig(mkdtempSync(join(tmpdir(), 'bcw-health-')));
    const cli = startCli(executorArgs(broker, cluster, TEST_EXECUTOR, configFile, ['--health-port', '0']), {
      ...env,
      BUILDCLUSTER_POLL_WAIT_MS: '500',
    });
    const base = await healthUrl(cli);
    await waitFor(() => /polling/.test(cli.stderr()), 10_000, 'the worker to poll');
    let health = await get(`${base}/health`);
    for (let i = 0; i < 100 && health.status !== 200; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      health = await get(`${base}/health`);
    }
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', healthy: true, reason: 'the broker answers polls' });

    await enqueueBuild(broker, 51, cluster.name, sd.url);
    await enqueueBuild(broker, 52, cluster.name, sd.url, { failStartTimes: 1 });
    await enqueueBuild(broker, 53, cluster.name, sd.url, { failStartTimes: 1, failKind: 'permanent' });
    await waitForState(broker, [51, 52, 53], 'acked');
    const metrics = await get(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain/);
    expect(metric(metrics.text, 'buildcluster_worker_builds_started_total')).toBe(2); // 51, and 52 at attempt 2
    expect(metrics.text).toContain('buildcluster_worker_builds_failed_total{reason="permanent"} 1');
    expect(metrics.text).toContain('buildcluster_worker_messages_nacked_total{type="start"} 1');
    expect(metrics.text).toContain('buildcluster_worker_messages_acked_total{type="start"} 3');
    expect(metric(metrics.text, 'buildcluster_worker_builds_in_progress')).toBe(0);
    expect(metric(metrics.text, 'buildcluster_worker_poll_errors_total')).toBe(0);
    expect(metric(metrics.text, 'buildcluster_worker_token_renewals')).toBe(0);

    // The admin deletes the cluster: every poll is refused now.
    expect((await api(broker, 'DELETE', `/v4/buildClusters/${cluster.name}`, broker.adminToken)).status).toBe(204);
    await waitFor(() => /poll failed: the broker refused this cluster/.test(cli.stderr()), 20_000, 'a refused poll');
    health = await get(`${base}/health`);
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toMatchObject({
      status: 'unavailable',
      healthy: false,
      reason: expect.stringMatching(/^the broker refused this cluster \(403 /),
    });
    expect(metric((await get(`${base}/metrics`)).text, 'buildcluster_worker_poll_errors_total')).toBeGreaterThanOrEqual(1);
    expect((await get(`${base}/other`)).status).toBe(404);
  });

  it('/health is 503 with why when the broker cannot be reached (command mode too)', async () => {
    const cluster = await keygenAndRegister(broker, 'health-2');
    const port = await closedPort();
    const cli = startCli([...connectArgs(`http://127.0.0.1:${port}`, cluster), '--exec', 'true', '--health-port', '0'], env);
    const base = await healthUrl(cli);
    await waitFor(() => /poll failed: cannot reach the broker/.test(cli.stderr()), 10_000, 'a failed poll');
    const health = await get(`${base}/health`);
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text).reason).toMatch(
      new RegExp(`^cannot reach the broker at http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`),
    );
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});
