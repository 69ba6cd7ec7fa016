import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestBroker } from './broker.js';
import { keygenAndRegister, killAll, startCli, waitForState } from './cli-harness.js';
import {
  TEST_EXECUTOR,
  enqueueBuild,
  executorArgs,
  readRecords,
  testExecutorConfig,
  brokerAndScrewdriver,
  type ScrewdriverStandIn,
} from './executor-harness.js';
import { waitFor } from './tiny-server.js';

/*
 * Ctrl-C in a terminal signals the whole foreground process group: pnpm and the worker both get
 * SIGINT, and pnpm forwards its own copy to the worker. That is one stop: the running build
 * finishes and is acked, and the worker exits 0.
 */

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

afterEach(async () => {
  await killAll();
});

describe('signals through pnpm exec', () => {
  let broker: TestBroker;
  let sd: ScrewdriverStandIn;
  brokerAndScrewdriver({}, (started, standIn) => ([broker, sd] = [started, standIn]));

  it('Ctrl-C once (SIGINT to the process group) drains: the running start finishes, is acked, exit 0', async () => {
    const cluster = await keygenAndRegister(broker, 'sig-pnpm');
    const { configFile, recordFile } = testExecutorConfig(mkdtempSync(join(tmpdir(), 'bcw-sig-')));
    const args = executorArgs(broker, cluster, TEST_EXECUTOR, configFile);
    const child = spawn('pnpm', ['exec', 'buildcluster-worker', ...args], {
      cwd: REPO_ROOT,
      detached: true, // its own process group, as a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdout.resume();
    const exited = new Promise<number | string>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
    try {
      await waitFor(
        () => /polling .* for builds of cluster "sig-pnpm"/.test(stderr),
        30_000,
        () => `the worker to poll\n${stderr}`,
      );
      await enqueueBuild(broker, 61, cluster.name, sd.url, { startDelayMs: 2500 });
      await waitFor(() => readRecords(recordFile, 61).some((r) => r.call === 'start'), 10_000, 'the start to begin');
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGINT: finishing running builds, then exiting/);
      // pnpm's forwarded copy may come as a second signal, or merge with the first while pending; either way one stop.
      expect(stderr).toMatch(/build 61 start done in \d+\.\d s, started on test-executor → acked/);
      expect(stderr).not.toMatch(/forced|will be nacked/);
      expect(readRecords(recordFile, 61).map((r) => `${r.call}:${r.phase}`)).toEqual(['start:begin', 'pod:created', 'start:end']);
      await waitForState(broker, [61], 'acked');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  it('a second signal within a second is the same stop: the start finishes and is acked, exit 0', async () => {
    const cluster = await keygenAndRegister(broker, 'sig-twice');
    const { configFile, recordFile } = testExecutorConfig(mkdtempSync(join(tmpdir(), 'bcw-sig-')));
    const cli = startCli(executorArgs(broker, cluster, TEST_EXECUTOR, configFile));
    await cli.waitForStderr(/polling/);
    await enqueueBuild(broker, 62, cluster.name, sd.url, { startDelayMs: 2500 });
    await waitFor(() => readRecords(recordFile, 62).some((r) => r.call === 'start'), 10_000, 'the start to begin');
    cli.child.kill('SIGINT');
    await cli.waitForStderr(/SIGINT: finishing running builds/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/SIGTERM again within 1000 ms: the same stop, still finishing running builds/);
    expect(cli.stderr()).toMatch(/build 62 start done in \d+\.\d s, started on test-executor → acked/);
    await waitForState(broker, [62], 'acked');
  });
});
