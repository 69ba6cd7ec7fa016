import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countsSince } from '../harness/metrics.js';
import { createPipeline } from '../harness/pipeline.js';
import { startStack, type Stack } from '../harness/stack.js';
import { waitFor } from '../harness/wait.js';
import type { LauncherRecord } from '../harness/worker.js';

/**
 * The real Screwdriver API (npm screwdriver-api 8.0.143, executor "queue") with the broker as its
 * queue service, and a real worker whose command plays Screwdriver's launcher. Only the SCM is a
 * stand-in (sd-api's screwdriver-scm-test): there is no GitHub here.
 */
const ORG = 'test-org';
const REPO = `${ORG}/compat`;
const SCREWDRIVER_YAML = `
shared:
  image: node:20
jobs:
  main:
    steps:
      - install: echo install
      - test: echo test
  hold-abort:
    steps:
      - wait: sleep 600
  hold-timeout:
    annotations:
      screwdriver.cd/timeout: 1
    steps:
      - wait: sleep 600
  pause-same:
    steps:
      - work: sleep 10
  pause-blocker:
    steps:
      - work: sleep 10
  after-blocker:
    blockedBy: [~pause-blocker]
    steps:
      - work: echo after
  pause-collapse:
    steps:
      - work: sleep 10
  pause-parallel:
    annotations:
      screwdriver.cd/blockedBySameJob: false
      screwdriver.cd/blockedBySameJobWaitTime: 0
    steps:
      - work: sleep 10
  refused:
    annotations:
      screwdriver.cd/buildCluster: no-such-cluster
    steps:
      - never: echo never
`;

interface Build {
  id: number;
  status: string;
  statusMessage?: string | null;
  startTime?: string | null;
  endTime?: string | null;
  stats?: Record<string, unknown>;
}

let stack: Stack;
let user: string;
let pipelineId: number;

async function build(id: number): Promise<Build> {
  const res = await stack.api.request('GET', `/v4/builds/${id}`, user);
  if (res.status !== 200) throw new Error(`GET /v4/builds/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as Build;
}

async function buildInStatus(id: number, statuses: string[], timeoutMs: number): Promise<Build> {
  let last: Build | undefined;
  return waitFor(
    () => `build ${id} to be ${statuses.join(' or ')} (it is ${last?.status}: ${last?.statusMessage ?? ''})`,
    async () => {
      last = await build(id);
      return statuses.includes(last.status) ? last : undefined;
    },
    timeoutMs,
    500,
  );
}

/** The builds of a job, newest first (GET /v4/jobs/{id}/builds), found by job name. */
async function buildsOfJob(name: string): Promise<Build[]> {
  const jobs = await stack.api.request('GET', `/v4/pipelines/${pipelineId}/jobs`, user);
  const job = (jobs.body as Array<{ id: number; name: string }>).find((j) => j.name === name);
  if (!job) throw new Error(`pipeline ${pipelineId} has no job ${name}`);
  const builds = await stack.api.request('GET', `/v4/jobs/${job.id}/builds`, user);
  return builds.body as Build[];
}

/**
 * One event at a time: the API fails (500, a sequelize insert error in createEvent) one of two
 * events it creates for one pipeline at the same moment, and the concurrent scenarios would.
 */
let events: Promise<unknown> = Promise.resolve();

/** POST /v4/events starting one job; answers the API's status and the build it created. */
async function startJob(name: string): Promise<{ status: number; build: Build }> {
  const before = new Set((await buildsOfJob(name)).map((b) => b.id));
  const posted = events.then(() => stack.api.request('POST', '/v4/events', user, { pipelineId, startFrom: name }));
  events = posted.catch(() => undefined);
  const event = await posted;
  const created = await waitFor(
    `a new build of job ${name}`,
    async () => (await buildsOfJob(name)).find((b) => !before.has(b.id)),
    30_000,
  );
  return { status: event.status, build: created };
}

const STATUSES = ['QUEUED', 'BLOCKED', 'COLLAPSED', 'RUNNING', 'SUCCESS', 'FAILURE', 'ABORTED', 'UNSTABLE'];

/** The build once it left `from`: the API creates it QUEUED, the broker may then block or collapse it. */
async function decidedStatus(id: number, from: string[] = ['QUEUED']): Promise<Build> {
  return buildInStatus(
    id,
    STATUSES.filter((s) => !from.includes(s)),
    30_000,
  );
}

async function succeeded(id: number): Promise<Build> {
  const done = await buildInStatus(id, ['SUCCESS', 'FAILURE', 'ABORTED', 'UNSTABLE', 'COLLAPSED'], 90_000);
  expect(done.status, `build ${id}: ${done.statusMessage ?? ''}`).toBe('SUCCESS');
  return done;
}

function blockedBy(...ids: number[]): string {
  return `Blocked by these running build(s): ${ids.map((id) => `<a href="/builds/${id}">${id}</a>`).join(', ')}`;
}

/**
 * Asserts from the launcher's records that `later` ran only after `earlier` had finished: its
 * launcher started after `earlier`'s launcher sent its last call, the PUT SUCCESS.
 */
async function ranAfter(earlier: number, later: number): Promise<void> {
  const first = await waitFor(`the launcher record of build ${earlier}`, () => startRecord(earlier), 10_000);
  const second = await waitFor(`the launcher record of build ${later}`, () => startRecord(later), 10_000);
  const last = first.calls.at(-1)!;
  expect(last).toMatchObject({ method: 'PUT', path: `/v4/builds/${earlier}`, body: { status: 'SUCCESS' } });
  expect(
    Date.parse(second.startedAt),
    `build ${later} started at ${second.startedAt}, build ${earlier} ended at ${last.at}`,
  ).toBeGreaterThan(Date.parse(last.at));
  expect(stack.worker.deliveriesOf(later).filter((d) => d.type === 'start')).toHaveLength(1);
}

function startRecord(buildId: number): LauncherRecord | undefined {
  return stack.worker.recordsOf(buildId).find((r) => r.type === 'start');
}

beforeAll(async () => {
  stack = await startStack({
    repositories: [{ name: REPO, id: '101', branch: 'main', sha: 'c0ffee'.padEnd(40, '0'), screwdriverYaml: SCREWDRIVER_YAML }],
    cluster: { name: 'compat-1', scmOrganization: ORG },
    // Timeouts fire at the job's timeout exactly; short leases so a stop reaches the worker within seconds.
    brokerEnv: { BUILD_TIMEOUT_BUFFER_SECONDS: '0', LEASE_MS: '6000' },
  });
  ({ user, pipelineId } = await createPipeline(stack, REPO));
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => stack?.dumpLogs());
});

describe('the real Screwdriver API with the broker as its queue', () => {
  it('runs a build to SUCCESS: delivered to the worker with a temporal token the launcher exchanges', async () => {
    const { status, build: created } = await startJob('main');
    expect(status).toBe(201);
    const done = await buildInStatus(created.id, ['SUCCESS', 'FAILURE', 'ABORTED', 'UNSTABLE'], 60_000);
    expect(done.status, done.statusMessage ?? '').toBe('SUCCESS');

    // Screwdriver stops every build that finished (models build.update → stop()), so the worker may
    // SIGTERM the launcher while the API is still answering its final PUT.
    const record = await waitFor(
      `the launcher of build ${created.id} to end`,
      () => {
        const r = startRecord(created.id);
        return r && ['succeeded', 'terminated', 'failed'].includes(r.outcome) ? r : undefined;
      },
      30_000,
    );
    expect(['succeeded', 'terminated'], record.error).toContain(record.outcome);
    // The start message is Screwdriver's own (models build.start), with the broker's token added.
    expect(record.message).toMatchObject({
      buildId: created.id,
      jobName: 'main',
      apiUri: stack.api.url,
      pipeline: { name: REPO },
    });
    expect(record.tokenClaims).toMatchObject({ username: created.id, scope: ['temporal'], pipelineId });
    const calls = record.calls.map((c) => `${c.method} ${c.path} ${c.status}`);
    expect(calls.slice(0, 4)).toEqual([
      `POST /v4/builds/${created.id}/token 200`,
      `GET /v4/builds/${created.id} 200`,
      `GET /v4/builds/${created.id}/steps 200`,
      `PUT /v4/builds/${created.id} 200`,
    ]);
    expect(record.calls[0]!.body).toEqual({ buildTimeout: 90 });
    expect(record.calls[3]!.body).toEqual({ status: 'RUNNING' });
    for (const step of record.calls.slice(4, -1))
      expect(`${step.method} ${step.path} ${step.status}`).toMatch(/^PUT .*\/steps\/.* 200$/);
    expect(record.calls.at(-1)).toMatchObject({ method: 'PUT', path: `/v4/builds/${created.id}`, body: { status: 'SUCCESS' } });

    // Every step ran and ended with code 0, as the API records them.
    const steps = (await stack.api.request('GET', `/v4/builds/${created.id}/steps`, user)).body as Array<{
      name: string;
      code: number | null;
    }>;
    expect(steps.map((s) => s.name)).toEqual(expect.arrayContaining(['sd-setup-init', 'install', 'test']));
    for (const step of steps) expect(step, step.name).toMatchObject({ code: 0 });
    // The broker told Screwdriver when the build entered its queue (PUT QUEUED with stats.queueEnterTime).
    expect(done.stats?.queueEnterTime).toEqual(expect.any(String));
  });

  it('stops a build the user aborts while it runs: the worker is told, the build ends ABORTED', async () => {
    const { status, build: created } = await startJob('hold-abort');
    expect(status).toBe(201);
    await waitFor(`build ${created.id} to be running its step`, () => startRecord(created.id)?.outcome === 'holding', 60_000);
    expect((await build(created.id)).status).toBe('RUNNING');

    const aborted = await stack.api.request('PUT', `/v4/builds/${created.id}`, user, { status: 'ABORTED' });
    expect(aborted.status, JSON.stringify(aborted.body)).toBe(200);

    // The extend answer names the build (the worker SIGTERMs the command) and a stop message runs the command.
    await waitFor(`the worker to stop build ${created.id}`, () => startRecord(created.id)?.outcome === 'terminated', 30_000);
    await waitFor(
      `a stop message for build ${created.id}`,
      () => stack.worker.deliveriesOf(created.id).some((d) => d.type === 'stop'),
      30_000,
    );
    // The stop message runs the command to its end (it is not itself cancelled by the stop it carries).
    await waitFor(
      `the command run for the stop of build ${created.id} to finish`,
      () => stack.worker.recordsOf(created.id).find((r) => r.type === 'stop')?.outcome === 'stop received',
      30_000,
    );
    const done = await build(created.id);
    expect(done).toMatchObject({ status: 'ABORTED', statusMessage: 'Aborted by alice' });
  });

  it('fails a build the broker refuses to start (FAILURE, never UNSTABLE)', async () => {
    const { status, build: created } = await startJob('refused');
    // The API answers the event with the executor's error, and fails the build it had created.
    expect(status).toBeGreaterThanOrEqual(400);
    const done = await buildInStatus(created.id, ['FAILURE', 'UNSTABLE', 'SUCCESS', 'ABORTED'], 60_000);
    expect(done).toMatchObject({ status: 'FAILURE', statusMessage: 'Failed to start build by executor error' });
    expect(stack.worker.deliveriesOf(created.id)).toEqual([]);
  });

  // The timeout takes a minute of real time: the blockedBy and collapse scenarios run beside it.
  it.concurrent('fails a build that outlives its screwdriver.cd/timeout: "Build failed due to timeout"', async () => {
    const { status, build: created } = await startJob('hold-timeout');
    expect(status).toBe(201);
    const running = await buildInStatus(created.id, ['RUNNING'], 60_000);
    const done = await buildInStatus(created.id, ['FAILURE', 'SUCCESS', 'ABORTED', 'UNSTABLE'], 100_000);
    expect(done).toMatchObject({ status: 'FAILURE', statusMessage: 'Build failed due to timeout' });
    const ranFor = Date.parse(done.endTime!) - Date.parse(running.startTime!);
    expect(ranFor).toBeGreaterThanOrEqual(60_000);
    expect(ranFor).toBeLessThan(90_000);
    // As the queue-service does, the step that was running ends with code 3.
    const steps = (await stack.api.request('GET', `/v4/builds/${created.id}/steps`, user)).body as Array<{
      name: string;
      code: number | null;
    }>;
    expect(steps.find((s) => s.name === 'wait')).toMatchObject({ code: 3 });
    // Screwdriver stops the failed build, and the worker stops its command.
    await waitFor(`the worker to stop build ${created.id}`, () => startRecord(created.id)?.outcome === 'terminated', 30_000);
  });

  it.concurrent('runs two builds of one job one after the other: the second is BLOCKED while the first runs', async () => {
    const { status, build: first } = await startJob('pause-same');
    expect(status).toBe(201);
    const { status: secondStatus, build: second } = await startJob('pause-same');
    expect(secondStatus).toBe(201);
    const waiting = await decidedStatus(second.id);
    expect(waiting).toMatchObject({ status: 'BLOCKED', statusMessage: blockedBy(first.id) });
    // The API accepted BLOCKED from the broker's build token and noted when the wait began.
    expect(waiting.stats?.blockedStartTime).toEqual(expect.any(String));
    expect(stack.worker.deliveriesOf(second.id)).toEqual([]);

    await succeeded(first.id);
    const done = await succeeded(second.id);
    // What Screwdriver keeps of the wait (printed: queueEnterTime depends on the broker's QUEUED note).
    console.log(
      `build ${second.id} stats while BLOCKED ${JSON.stringify(waiting.stats)}, at the end ${JSON.stringify(done.stats)}`,
    );
    expect(Date.parse(done.startTime!)).toBeGreaterThan(Date.parse(waiting.stats!.blockedStartTime as string));
    await ranAfter(first.id, second.id);
  });

  it.concurrent("starts a build blocked by another job (blockedBy: [~pause-blocker]) when that job's build ends", async () => {
    const { build: blocker } = await startJob('pause-blocker');
    const { status, build: after } = await startJob('after-blocker');
    expect(status).toBe(201);
    const waiting = await decidedStatus(after.id);
    expect(waiting).toMatchObject({ status: 'BLOCKED', statusMessage: blockedBy(blocker.id) });

    await succeeded(blocker.id);
    await succeeded(after.id);
    await ranAfter(blocker.id, after.id);
  });

  it.concurrent('collapses the waiting builds of a job into the newest: COLLAPSED "Collapsed to build: N"', async () => {
    const { build: running } = await startJob('pause-collapse');
    const { build: middle } = await startJob('pause-collapse');
    expect(await decidedStatus(middle.id)).toMatchObject({ status: 'BLOCKED', statusMessage: blockedBy(running.id) });
    const { build: newest } = await startJob('pause-collapse');

    const collapsed = await decidedStatus(middle.id, ['QUEUED', 'BLOCKED']);
    expect(collapsed).toMatchObject({ status: 'COLLAPSED', statusMessage: `Collapsed to build: ${newest.id}` });
    expect(await decidedStatus(newest.id)).toMatchObject({ status: 'BLOCKED', statusMessage: blockedBy(running.id) });

    await succeeded(running.id);
    await succeeded(newest.id);
    await ranAfter(running.id, newest.id);
    // The collapsed build never reached the cluster, and stays COLLAPSED.
    expect(stack.worker.deliveriesOf(middle.id).filter((d) => d.type === 'start')).toEqual([]);
    expect(await build(middle.id)).toMatchObject({ status: 'COLLAPSED', statusMessage: `Collapsed to build: ${newest.id}` });
  });

  it.concurrent('runs two builds of a job side by side with screwdriver.cd/blockedBySameJob: false', async () => {
    const { build: first } = await startJob('pause-parallel');
    await buildInStatus(first.id, ['RUNNING'], 60_000);
    const { status, build: second } = await startJob('pause-parallel');
    expect(status).toBe(201);
    // Never BLOCKED: it goes RUNNING while the first still runs.
    expect(await decidedStatus(second.id)).toMatchObject({ status: 'RUNNING' });
    expect((await build(first.id)).status).toBe('RUNNING');
    await succeeded(first.id);
    await succeeded(second.id);
    const firstEnd = startRecord(first.id)!.calls.at(-1)!;
    expect(firstEnd).toMatchObject({ body: { status: 'SUCCESS' } });
    expect(Date.parse(startRecord(second.id)!.startedAt)).toBeLessThan(Date.parse(firstEnd.at));
  });

  it('answered every call of the API with a 2xx, but the refused start', async () => {
    const status = await stack.api.request('GET', '/v4/status?exhaustive=true', user);
    // The API asks the queue's /v1/status and shows its answer (its store is absent here, so it answers 404 itself).
    expect((status.body as { queue?: unknown }).queue).toBeTruthy();

    const counts = countsSince(stack.countsAtStart, await stack.broker.requestCounts());
    // Screwdriver's calls are the /v1 routes (workers use /v4/queues, admins /v4/buildClusters);
    // a request to a route the broker lacks is counted as "unmatched".
    const fromApi = counts.filter((c) => c.route.startsWith('/v1/') || c.route === 'unmatched');
    console.log(
      `calls of the Screwdriver API, as the broker counted them:\n${fromApi
        .map((c) => `  ${c.method} ${c.route} → ${c.status} ×${c.count}`)
        .join('\n')}`,
    );
    expect(fromApi.filter((c) => c.status >= 300)).toEqual([
      { method: 'POST', route: '/v1/queue/message', status: 400, count: 1 },
    ]);
    expect(fromApi).toEqual(
      expect.arrayContaining([expect.objectContaining({ method: 'GET', route: '/v1/status', status: 200 })]),
    );
  });
});
