import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './broker.js';
import { waitFor } from './tiny-server.js';
import {
  api,
  enqueue,
  keygenAndRegister,
  killAll,
  recorded,
  recordingCommand,
  runArgs,
  startCli,
  waitForState,
} from './cli-harness.js';

/*
 * The real CLI, as a child process, against a real broker on the real PostgreSQL and Redis.
 * Each test registers its own cluster, so the tests of one broker do not see each other's builds.
 */

const commandDirs: string[] = [];
function commandDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bcw-cmd-'));
  commandDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await killAll(commandDirs);
});

describe('buildcluster-worker run against the broker', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ listen: true });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('keygen → register → run: 50 builds are all acked, each command saw its own message', async () => {
    const cluster = await keygenAndRegister(broker, 'fifty');
    const dir = commandDir();
    const cli = startCli(runArgs(broker, cluster, recordingCommand(dir), ['--concurrency', '4', '--worker-id', 'w-1']));
    await cli.waitForStderr(/polling .* for builds of cluster "fifty"/);

    const ids = Array.from({ length: 50 }, (_, i) => 10_001 + i);
    const sent = new Map<number, Record<string, unknown>>();
    for (const id of ids) sent.set(id, await enqueue(broker, id, 'fifty'));

    await waitFor(() => recorded(dir).size >= 50, 60_000, '50 commands to run');
    await waitForState(broker, ids, 'acked', 30_000);
    const seen = recorded(dir);
    expect(seen.size).toBe(50);
    for (const id of ids) {
      const run = seen.get(`${id}-start-1`);
      expect(run, `build ${id}`).toBeDefined();
      expect(run!.env).toEqual({
        BUILD_ID: String(id),
        MESSAGE_TYPE: 'start',
        BUILD_ATTEMPT: '1',
        BUILD_CLUSTER: 'fifty',
        WORKER_ID: 'w-1',
      });
      expect(run!.stdin).toMatchObject(sent.get(id)!);
    }
    expect(cli.stderr()).toMatch(/\[worker w-1\] build 10001 start \(attempt 1\) → running "/);
    await cli.waitForStderr(/\[worker w-1\] build 10050 start done in \d+\.\d s, exit 0 → acked/);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('a failing command is nacked and the build comes back as attempt 2', async () => {
    const cluster = await keygenAndRegister(broker, 'flaky');
    const dir = commandDir();
    const command = `if [ "$BUILD_ATTEMPT" = 1 ]; then cat >/dev/null; echo "failing on purpose" >&2; exit 3; fi; ${recordingCommand(dir)}`;
    const cli = startCli(runArgs(broker, cluster, command, ['--worker-id', 'w-flaky']));
    await cli.waitForStderr(/polling/);
    const message = await enqueue(broker, 20_001, 'flaky');

    await waitFor(() => recorded(dir).has('20001-start-2'), 60_000, 'the second attempt');
    await waitForState(broker, [20_001], 'acked');
    expect(recorded(dir).has('20001-start-1')).toBe(false);
    expect(recorded(dir).get('20001-start-2')!.stdin).toMatchObject(message);
    expect(cli.stderr()).toMatch(/\[build 20001\] failing on purpose/);
    expect(cli.stderr()).toMatch(/build 20001 start done in .* s, exit 3 → nacked/);
    expect(cli.stderr()).toMatch(/build 20001 start \(attempt 2\)/);
    await cli.waitForStderr(/build 20001 start done in .* s, exit 0 → acked/);
  });

  it('SIGTERM mid-build: the build finishes, is acked, and the CLI exits 0', async () => {
    const cluster = await keygenAndRegister(broker, 'graceful');
    const dir = commandDir();
    const command = recordingCommand(dir, `touch "${dir}/$BUILD_ID.started"; sleep 2`);
    const cli = startCli(runArgs(broker, cluster, command, ['--worker-id', 'w-term']));
    await cli.waitForStderr(/polling/);
    await enqueue(broker, 30_001, 'graceful');
    await waitFor(() => existsSync(join(dir, '30001.started')), 30_000, 'the build to start');

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(recorded(dir).has('30001-start-1')).toBe(true);
    await waitForState(broker, [30_001], 'acked');
    const stderr = cli.stderr();
    expect(stderr).toMatch(/SIGTERM: finishing running builds/);
    expect(stderr).toMatch(/build 30001 start done in [2-9]\.\d s, exit 0 → acked/);
    expect(stderr.trimEnd()).toMatch(/\[worker w-term\] stopped$/);
  });

  it('keeps working across token renewals when the token lives 3 s', async () => {
    const cluster = await keygenAndRegister(broker, 'shortlived', { expiresIn: 3 });
    const dir = commandDir();
    // Polls of 1 s keep requests flowing, so a token that was not renewed would be refused within seconds.
    const cli = startCli(runArgs(broker, cluster, recordingCommand(dir), ['--worker-id', 'w-short']), {
      BUILDCLUSTER_POLL_WAIT_MS: '1000',
    });
    await cli.waitForStderr(/polling/);
    const ids: number[] = [];
    const started = Date.now();
    for (let id = 40_001; Date.now() - started < 9000 || ids.length < 4; id++) {
      await enqueue(broker, id, 'shortlived');
      ids.push(id);
      await waitForState(broker, [id], 'acked');
      await new Promise((r) => setTimeout(r, 1500));
    }
    // Three token lifetimes have passed; every build went through and nothing was refused.
    expect(Date.now() - started).toBeGreaterThan(9000);
    expect(recorded(dir).size).toBe(ids.length);
    // "(401 " is how a refusal is logged; a bare 401 could be part of the broker's port
    expect(cli.stderr()).not.toMatch(/poll failed|did not accept|\(401 /);
  });

  it('a deleted cluster makes the CLI back off and keep saying the broker refuses it', async () => {
    const cluster = await keygenAndRegister(broker, 'doomed');
    const cli = startCli(runArgs(broker, cluster, 'true', ['--worker-id', 'w-doomed']), { BUILDCLUSTER_POLL_WAIT_MS: '1000' });
    await cli.waitForStderr(/polling/);
    // Let the first poll reach the broker with a valid registration.
    await new Promise((r) => setTimeout(r, 500));
    const deleted = await api(broker, 'DELETE', '/v4/buildClusters/doomed', broker.adminToken);
    expect(deleted.status).toBe(204);

    await cli.waitForStderr(
      /poll failed: the broker refused this cluster \(403 [A-Z_]+: [^)]*not registered[^)]*\)(?: \(\d+ failed polls in a row\))?; retrying in \d+\.\d s/i,
      30_000,
    );
    await cli.waitForStderr(/refused this cluster.*\(3 failed polls in a row\)/, 30_000);
    // Backoff, not a hot loop: over two seconds only a handful of refusals.
    const before = (cli.stderr().match(/poll failed/g) ?? []).length;
    await new Promise((r) => setTimeout(r, 2000));
    const after = (cli.stderr().match(/poll failed/g) ?? []).length;
    expect(after - before).toBeLessThanOrEqual(4);
    expect(cli.stderr()).not.toMatch(/BEGIN|eyJ/); // never a key or a token in the log
  });
});

describe('buildcluster-worker run when a worker dies', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ listen: true, env: { LEASE_MS: '2000' } });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('a CLI killed with SIGKILL mid-build: the build is delivered again to another worker after the lease', async () => {
    const cluster = await keygenAndRegister(broker, 'crashy');
    const dir = commandDir();
    // Worker A starts the build and hangs in it; worker B would finish it at once.
    const hang = `if [ "$WORKER_ID" = w-a ]; then touch "${dir}/$BUILD_ID.started-by-a"; sleep 60; fi`;
    const a = startCli(runArgs(broker, cluster, recordingCommand(dir, hang), ['--worker-id', 'w-a']), {
      BUILDCLUSTER_POLL_WAIT_MS: '1000',
    });
    await a.waitForStderr(/polling/);
    await enqueue(broker, 50_001, 'crashy');
    await waitFor(() => existsSync(join(dir, '50001.started-by-a')), 30_000, 'worker A to start the build');

    const b = startCli(runArgs(broker, cluster, recordingCommand(dir, hang), ['--worker-id', 'w-b']), {
      BUILDCLUSTER_POLL_WAIT_MS: '1000',
    });
    await b.waitForStderr(/polling/);
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');

    await waitFor(() => recorded(dir).has('50001-start-2'), 30_000, 'the build to be delivered again');
    const second = recorded(dir).get('50001-start-2')!;
    expect(second.env).toMatchObject({ WORKER_ID: 'w-b', BUILD_ATTEMPT: '2' });
    await waitForState(broker, [50_001], 'acked');
    await b.waitForStderr(/build 50001 start done in .* s, exit 0 → acked/);
    expect(b.stderr()).toMatch(/build 50001 start \(attempt 2\)/);
  });

  it('Screwdriver stops a running build: its command is signalled, the start is acked, the stop message runs', async () => {
    const cluster = await keygenAndRegister(broker, 'stoppable');
    const dir = commandDir();
    // The start hangs until signalled and records the signal; the stop message is just recorded.
    const hang =
      `if [ "$MESSAGE_TYPE" = start ]; then trap 'touch "${dir}/$BUILD_ID.sigterm"; exit 143' TERM; ` +
      `touch "${dir}/$BUILD_ID.started"; sleep 60 & wait; fi`;
    const cli = startCli(runArgs(broker, cluster, recordingCommand(dir, hang), ['--worker-id', 'w-stop', '--concurrency', '2']), {
      BUILDCLUSTER_POLL_WAIT_MS: '1000',
    });
    await cli.waitForStderr(/polling/);
    await enqueue(broker, 60_001, 'stoppable');
    await waitFor(() => existsSync(join(dir, '60001.started')), 30_000, 'the build to start');

    const stop = await api(broker, 'DELETE', '/v1/queue/message', broker.sdapiToken, { buildId: 60_001 });
    expect(stop.status).toBe(200);

    await waitFor(() => existsSync(join(dir, '60001.sigterm')), 30_000, 'the start command to get SIGTERM');
    await cli.waitForStderr(/build 60001 start done in .* s, exit 143 \(stopped on request\) → acked/);
    await waitFor(() => recorded(dir).has('60001-stop-1'), 30_000, 'the stop message');
    expect(recorded(dir).get('60001-stop-1')!.env).toMatchObject({ MESSAGE_TYPE: 'stop', BUILD_ID: '60001' });
    expect(recorded(dir).get('60001-stop-1')!.stdin).toMatchObject({ buildId: 60_001 });
    expect(recorded(dir).has('60001-start-1')).toBe(false);
  });

  it('a second SIGTERM (a moment after the first) stops the running command, nacks it (exit 1), and another worker runs the build', async () => {
    const cluster = await keygenAndRegister(broker, 'impatient');
    const dir = commandDir();
    const hang = `if [ "$WORKER_ID" = w-first ]; then touch "${dir}/$BUILD_ID.started"; sleep 60; fi`;
    const first = startCli(runArgs(broker, cluster, recordingCommand(dir, hang), ['--worker-id', 'w-first']));
    await first.waitForStderr(/polling/);
    await enqueue(broker, 70_001, 'impatient');
    await waitFor(() => existsSync(join(dir, '70001.started')), 30_000, 'the build to start');

    first.child.kill('SIGTERM');
    await first.waitForStderr(/SIGTERM: finishing running builds/);
    // Within a second it would be the same stop (pnpm forwarding a Ctrl-C); after it, a forced one.
    first.child.kill('SIGTERM');
    await first.waitForStderr(/SIGTERM again within 1000 ms: the same stop/);
    await new Promise((r) => setTimeout(r, 1100));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(1);
    expect(first.stderr()).toMatch(/build 70001 start done in .* s, killed by SIGTERM → nacked/);

    const second = startCli(runArgs(broker, cluster, recordingCommand(dir, hang), ['--worker-id', 'w-second']));
    await waitFor(() => recorded(dir).has('70001-start-2'), 30_000, 'the build to run again');
    expect(recorded(dir).get('70001-start-2')!.env).toMatchObject({ WORKER_ID: 'w-second' });
    await waitForState(broker, [70_001], 'acked');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
