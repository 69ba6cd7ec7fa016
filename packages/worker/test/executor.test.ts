import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '@buildcluster/broker/testing';
import { waitFor } from './tiny-server.js';
import { api, buildState, keygenAndRegister, killAll, startCli, waitForState } from './cli-harness.js';
import {
  LAUNCHER_TOKEN,
  TEST_EXECUTOR,
  enqueueBuild,
  executorArgs,
  readRecords,
  startScrewdriverStandIn,
  testExecutorConfig,
} from './executor-harness.js';

/*
 * Executor mode end to end: the real CLI, a real broker on PostgreSQL and Redis, the test
 * executor plugin (a screwdriver-executor-base subclass) loaded with --executor, and a stand-in
 * for the Screwdriver API's PUT /v4/builds/{id}. The broker delivers each build at most 3 times.
 */

const MAX_ATTEMPTS = 3;

afterEach(async () => {
  await killAll();
});

describe('buildcluster-worker run --executor', () => {
  let broker: TestBroker;
  let sd: Awaited<ReturnType<typeof startScrewdriverStandIn>>;
  beforeAll(async () => {
    broker = await startTestBroker({ listen: true, env: { MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
    sd = await startScrewdriverStandIn();
  });
  afterAll(async () => {
    await sd?.close();
    await broker?.close();
  });

  const tempDir = () => mkdtempSync(join(tmpdir(), 'bcw-exec-'));

  it('start: the executor gets the message with its launcher token, and the build is acked', async () => {
    const cluster = await keygenAndRegister(broker, 'exec-start');
    const { configFile, recordFile } = testExecutorConfig(tempDir());
    const cli = startCli(executorArgs(broker, cluster, TEST_EXECUTOR, configFile, ['--worker-id', 'w-exec']));
    await cli.waitForStderr(/polling .* for builds of cluster "exec-start" \(concurrency 10, .*\); executor: module /);
    const sent = await enqueueBuild(broker, 31, cluster.name, sd.url);
    await waitForState(broker, [31], 'acked');
    await cli.waitForStderr(/build 31 start done in \d+\.\d s, started on test-executor → acked/);
    const starts = readRecords(recordFile, 31).filter((r) => r.call === 'start');
    expect(starts.map((r) => r.phase)).toEqual(['begin', 'end']);
    expect(starts[0]!.message).toMatchObject({ ...sent, token: LAUNCHER_TOKEN, buildClusterName: 'exec-start' });
    expect(sd.of(31)).toEqual([]);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});
