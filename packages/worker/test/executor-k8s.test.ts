import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestBroker } from './broker.js';
import { api, closedPort, keygenAndRegister, killAll, runCli, startCli, startMessage, waitForState } from './cli-harness.js';
import {
  enqueueBuild,
  executorArgs,
  writeExecutorConfig,
  brokerAndScrewdriver,
  type ScrewdriverStandIn,
} from './executor-harness.js';

/*
 * The real screwdriver-executor-k8s and -k8s-vm, loaded through screwdriver-executor-router from
 * a buildcluster-queue-worker style config plus its environment variables. There is no
 * Kubernetes here: K8S_HOST points at a closed loopback port, so every pod request is refused,
 * and that must show in the log and, on the last attempt, in the build's FAILURE.
 */

afterEach(async () => {
  await killAll();
});

describe('--executor k8s (screwdriver-executor-router)', () => {
  let broker: TestBroker;
  let sd: ScrewdriverStandIn;
  brokerAndScrewdriver({ MAX_ATTEMPTS: '2' }, (started, standIn) => ([broker, sd] = [started, standIn]));

  function k8sConfig(): string {
    // Few quick retries of the plugins' circuit breaker, so a refused request fails in milliseconds.
    const quick = {
      fusebox: { breaker: { timeout: 1000 }, retry: { retries: 1, minTimeout: 10 } },
      requestretry: { retryDelay: 10, maxAttempts: 1 },
    };
    return writeExecutorConfig(mkdtempSync(join(tmpdir(), 'bcw-k8s-')), {
      executor: {
        plugin: 'k8s',
        k8s: { options: { kubernetes: { token: 'k8s-service-account-token' }, ...quick } },
        'k8s-vm': { weightage: 0, options: { kubernetes: { token: 'k8s-service-account-token' }, ...quick } },
      },
      ecosystem: { store: 'https://store.example', ui: 'https://ui.example' },
    });
  }

  it('a refused Kubernetes API is reported (not swallowed), nacked, and reported as FAILURE on the last attempt', async () => {
    const cluster = await keygenAndRegister(broker, 'k8s-refused');
    const port = await closedPort();
    const cli = startCli(executorArgs(broker, cluster, 'k8s', k8sConfig()), {
      // buildcluster-queue-worker's variables, over the file.
      K8S_HOST: `127.0.0.1:${port}`,
      K8S_JOBS_NAMESPACE: 'sd-builds',
      LAUNCH_VERSION: 'v6.0.0',
      ECOSYSTEM_API: sd.url,
    });
    await cli.waitForStderr(/executor: screwdriver-executor-router \(k8s, k8s-vm; default k8s\)/);
    await enqueueBuild(broker, 71, cluster.name, sd.url);
    await cli.waitForStderr(
      /build 71 start done .*start failed on k8s: 500 Reason "Internal server error" \(ECONNREFUSED\) → nacked/,
      30_000,
    );
    // Attempt 2 first asks Kubernetes for the pod of attempt 1 (the sdbuild label), which is refused too.
    await cli.waitForStderr(
      /build 71 start done .*could not check for a pod of the earlier attempt: .*ECONNREFUSED.*reported FAILURE to Screwdriver → acked/,
      30_000,
    );
    await waitForState(broker, [71], 'acked');
    expect(sd.of(71).map((u) => u.body.statusMessage)).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('the screwdriver.cd/executor annotation routes a build to that executor', async () => {
    const cluster = await keygenAndRegister(broker, 'k8s-annotated');
    const port = await closedPort();
    const cli = startCli(executorArgs(broker, cluster, 'k8s', k8sConfig()), {
      K8S_HOST: `127.0.0.1:${port}`,
      K8S_BASE_IMAGE: 'screwdrivercd/hyperctl-base',
      ECOSYSTEM_API: sd.url,
    });
    await cli.waitForStderr(/polling/);
    const message: Record<string, unknown> = { ...startMessage(73, cluster.name), apiUri: sd.url, token: 't' };
    delete message.prNum;
    message.annotations = { 'screwdriver.cd/executor': 'k8s-vm' };
    expect((await api(broker, 'POST', '/v1/queue/message', broker.sdapiToken, message)).status).toBe(201);
    // k8s-vm's older request client reports a refused connection as its circuit breaker's timeout.
    await cli.waitForStderr(/build 73 start done .*start failed on k8s-vm: .+ → nacked/, 30_000);
  });

  it('an executor whose plugin package is missing stops the worker at startup, naming the package', async () => {
    const cluster = await keygenAndRegister(broker, 'k8s-missing');
    const result = await runCli(executorArgs(broker, cluster, 'jenkins', k8sConfig()));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--executor jenkins: executor "jenkins" needs the package screwdriver-executor-jenkins, which could not be loaded \(Cannot find module/,
    );
  });
});
