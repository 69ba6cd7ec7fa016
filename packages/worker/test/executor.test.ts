import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestBroker } from './broker.js';
import { waitFor } from './tiny-server.js';
import { api, keygenAndRegister, killAll, startCli, waitForState } from './cli-harness.js';
import {
  LAUNCHER_TOKEN,
  TEST_EXECUTOR,
  enqueueBuild,
  executorArgs,
  readRecords,
  startScrewdriverStandIn,
  testExecutorConfig,
  brokerAndScrewdriver,
  type ScrewdriverStandIn,
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
  let sd: ScrewdriverStandIn;
  brokerAndScrewdriver({ MAX_ATTEMPTS: String(MAX_ATTEMPTS) }, (started, standIn) => ([broker, sd] = [started, standIn]));

  const tempDir = () => mkdtempSync(join(tmpdir(), 'bcw-exec-'));
  /** A cluster of its own and the CLI running the test executor for it, once it polls. */
  async function pollingCli(name: string, extra: string[] = []) {
    const cluster = await keygenAndRegister(broker, name);
    const { configFile, recordFile } = testExecutorConfig(tempDir());
    const cli = startCli(executorArgs(broker, cluster, TEST_EXECUTOR, configFile, extra));
    await cli.waitForStderr(/polling/);
    return { cluster, configFile, recordFile, cli };
  }

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

  it('a permanent error (403) acks the build and reports FAILURE with the reason', async () => {
    const { cluster, recordFile, cli } = await pollingCli('exec-403');
    await enqueueBuild(broker, 32, cluster.name, sd.url, { failStartTimes: 1, failKind: 'permanent' });
    await waitForState(broker, [32], 'acked');
    await waitFor(() => sd.of(32).length === 1, 10_000, 'the FAILURE report');
    const [update] = sd.of(32);
    expect(update!.authorization).toBe(`Bearer ${LAUNCHER_TOKEN}`);
    expect(update!.body).toEqual({
      status: 'FAILURE',
      statusMessage: expect.stringMatching(/^Build failed to start: 403 Reason "pods is forbidden/),
    });
    expect(readRecords(recordFile, 32).filter((r) => r.call === 'start' && r.phase === 'begin')).toHaveLength(1);
    // The worker logs the outcome after the ack and the report: its stderr may reach the test a moment later.
    await cli.waitForStderr(
      /build 32 start done .*the backend refused it \(403\).*reported FAILURE to Screwdriver → acked/,
      10_000,
    );
  });

  it('a transient error nacks the build; attempt 2 starts it, and nothing is reported', async () => {
    const { cluster, recordFile, cli } = await pollingCli('exec-500');
    await enqueueBuild(broker, 33, cluster.name, sd.url, { failStartTimes: 1, failKind: 'transient' });
    await cli.waitForStderr(
      /build 33 start done .*start failed on test-executor: 500 Reason "Internal server error" \(ECONNRESET\) → nacked/,
    );
    await cli.waitForStderr(/build 33 start \(attempt 2\)/);
    await waitForState(broker, [33], 'acked');
    const phases = readRecords(recordFile, 33)
      .filter((r) => r.call === 'start')
      .map((r) => r.phase);
    expect(phases).toEqual(['begin', 'error', 'begin', 'end']);
    expect(sd.of(33)).toEqual([]);
  });

  it('the last attempt reports FAILURE instead of leaving the build queued', async () => {
    const { cluster, recordFile, cli } = await pollingCli('exec-last');
    await enqueueBuild(broker, 34, cluster.name, sd.url, { failStartTimes: 99, failKind: 'transient' });
    await cli.waitForStderr(
      new RegExp(
        `build 34 start done .*\\(attempt ${MAX_ATTEMPTS} of ${MAX_ATTEMPTS}\\).*reported FAILURE to Screwdriver → acked`,
      ),
    );
    await waitForState(broker, [34], 'acked');
    expect(readRecords(recordFile, 34).filter((r) => r.call === 'start' && r.phase === 'error')).toHaveLength(MAX_ATTEMPTS);
    expect(sd.of(34).map((u) => u.body)).toEqual([
      { status: 'FAILURE', statusMessage: 'Build failed to start: 500 Reason "Internal server error" (ECONNRESET)' },
    ]);
    // Earlier attempts were nacked without a report.
    expect(cli.stderr().match(/build 34 start done .*→ nacked/g)).toHaveLength(MAX_ATTEMPTS - 1);
  });

  it('when even the FAILURE report fails on the last attempt, the build goes to the dead letters, not lost', async () => {
    const cluster = await keygenAndRegister(broker, 'exec-dead');
    const { configFile } = testExecutorConfig(tempDir());
    const refusing = await startScrewdriverStandIn();
    refusing.state.status = 401;
    try {
      const cli = startCli(executorArgs(broker, cluster, TEST_EXECUTOR, configFile));
      await cli.waitForStderr(/polling/);
      await enqueueBuild(broker, 35, cluster.name, refusing.url, { failStartTimes: 99 });
      await cli.waitForStderr(
        /build 35 start done .*reporting FAILURE to Screwdriver failed too: PUT .* answered 401.* → nacked/,
      );
      await waitForState(broker, [35], 'dead');
      expect(refusing.of(35)).toHaveLength(1);
    } finally {
      await refusing.close();
    }
  });

  it('a redelivered start whose pod exists does not start it again', async () => {
    const { cluster, recordFile, cli } = await pollingCli('exec-dup');
    // Attempt 1 creates the pod, then its answer is lost (a timeout after the fact): nacked.
    await enqueueBuild(broker, 36, cluster.name, sd.url, { failStartTimes: 1, failKind: 'created-then-transient' });
    await waitForState(broker, [36], 'acked');
    await cli.waitForStderr(
      /build 36 start done .*already has a pod or container on test-executor from an earlier attempt: not started again → acked/,
    );
    const records = readRecords(recordFile, 36);
    expect(records.filter((r) => r.call === 'pod')).toHaveLength(1);
    expect(records.filter((r) => r.call === 'start' && r.phase === 'begin')).toHaveLength(1);
    expect(records.filter((r) => r.call === 'hasBuild').map((r) => r.answer)).toEqual([true]);
  });

  it('a stop that arrives while its start runs waits for it, and carries what the start had', async () => {
    const { cluster, recordFile, cli } = await pollingCli('exec-stop');
    const sent = await enqueueBuild(broker, 37, cluster.name, sd.url, { startDelayMs: 1500 });
    await waitFor(() => readRecords(recordFile, 37).some((r) => r.call === 'start'), 10_000, 'the start to begin');
    // Screwdriver's stop, with only the build id: the worker fills the rest from the start.
    const stop = await api(broker, 'DELETE', '/v1/queue/message', broker.sdapiToken, { buildId: 37 });
    expect(stop.status).toBe(200);
    await waitFor(() => readRecords(recordFile, 37).some((r) => r.call === 'stop' && r.phase === 'end'), 15_000, 'the stop');
    const records = readRecords(recordFile, 37);
    const startEnd = records.find((r) => r.call === 'start' && r.phase === 'end')!;
    const stopBegin = records.find((r) => r.call === 'stop' && r.phase === 'begin')!;
    expect(stopBegin.at).toBeGreaterThanOrEqual(startEnd.at);
    expect(records.map((r) => `${r.call}:${r.phase}`)).toEqual([
      'start:begin',
      'pod:created',
      'start:end',
      'stop:begin',
      'stop:end',
    ]);
    expect(stopBegin.message).toEqual({
      buildId: 37,
      apiUri: sd.url,
      jobId: sent.jobId,
      pipelineId: sent.pipelineId,
      jobName: sent.jobName,
      annotations: sent.annotations,
      blockedBy: sent.blockedBy,
      buildClusterName: cluster.name,
    });
    expect(stopBegin.message).not.toHaveProperty('token');
    await cli.waitForStderr(/build 37 stop done .*stopped on test-executor → acked/);
  });

  it("the watchdog fails a build whose pod does not run in time, with verify's reason, and removes it", async () => {
    const { cluster, recordFile, cli } = await pollingCli('exec-dog', ['--start-timeout', '2']);
    const imageError = 'Build failed to start. Please check if your image is valid.';
    await enqueueBuild(broker, 38, cluster.name, sd.url, { verify: imageError });
    await enqueueBuild(broker, 39, cluster.name, sd.url, { verify: '' });
    // executor-k8s's start answers false for a pod no node took; verify still says 'waiting' at the deadline.
    await enqueueBuild(broker, 40, cluster.name, sd.url, { startResult: false, verify: 'waiting' });
    await waitForState(broker, [38, 39, 40], 'acked');
    await waitFor(() => sd.of(38).length === 1 && sd.of(40).length === 1, 15_000, 'the FAILURE reports');
    await cli.waitForStderr(/build 39: verified running after/);
    expect(sd.of(38)[0]!.body).toEqual({ status: 'FAILURE', statusMessage: imageError });
    expect(sd.of(40)[0]!.body).toEqual({
      status: 'FAILURE',
      statusMessage: expect.stringMatching(/^Build did not start within \d+\.\d s: its pod was never scheduled/),
    });
    expect(sd.of(39)).toEqual([]);
    await waitFor(() => readRecords(recordFile, 38).some((r) => r.call === 'stop'), 10_000, 'the stuck pod to be removed');
    expect(readRecords(recordFile, 39).some((r) => r.call === 'stop')).toBe(false);
    // Build 40 was looked at soon after its start (early verify), then again at the deadline.
    expect(readRecords(recordFile, 40).filter((r) => r.call === 'verify').length).toBeGreaterThanOrEqual(1);
  });

  it('a start the executor says is not running yet is looked at soon, and failed at once when the reason is final', async () => {
    const cluster = await keygenAndRegister(broker, 'exec-soon');
    const { configFile, recordFile } = testExecutorConfig(tempDir());
    const cli = startCli(executorArgs(broker, cluster, TEST_EXECUTOR, configFile, ['--start-timeout', '120']), {
      BUILDCLUSTER_VERIFY_SOON_MS: '300',
    });
    await cli.waitForStderr(/polling/);
    const pullError = 'Build failed to start. Please check if your image is valid.';
    const startedAt = Date.now();
    await enqueueBuild(broker, 41, cluster.name, sd.url, { startResult: false, verify: pullError });
    await cli.waitForStderr(/build 41 start done .*started on test-executor \(not running yet; checking soon\) → acked/);
    await waitFor(() => sd.of(41).length === 1, 15_000, 'the FAILURE report');
    // Long before the 120 s start timeout.
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(sd.of(41)[0]!.body).toEqual({ status: 'FAILURE', statusMessage: pullError });
    expect(readRecords(recordFile, 41).filter((r) => r.call === 'verify')).toHaveLength(1);
  });
});
