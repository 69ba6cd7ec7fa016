import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../harness/http.js';
import { countsSince } from '../harness/metrics.js';
import { createPipeline } from '../harness/pipeline.js';
import { startStack, type Stack } from '../harness/stack.js';
import { waitFor } from '../harness/wait.js';

/**
 * Freeze windows with the real Screwdriver API (npm screwdriver-api, executor "queue") and the
 * broker as its queue service. The repository's screwdriver.yaml is a file the test rewrites just
 * before it starts the jobs, with a freeze window on the current UTC minute (`M H * * ?`); every
 * event syncs the pipeline with it, so the builds arrive with that window.
 */
const ORG = 'test-org';
const REPO = `${ORG}/freeze`;

const yaml = (window: string) => `
shared:
  image: node:20
jobs:
  frozen-main:
    freezeWindows: ['${window}']
    steps:
      - work: echo thawed
  frozen-abort:
    freezeWindows: ['${window}']
    steps:
      - never: echo never
`;

interface Build {
  id: number;
  jobId: number;
  eventId: number;
  status: string;
  statusMessage?: string | null;
  createTime?: string;
}

let stack: Stack;
let user: string;
let pipelineId: number;
const dir = mkdtempSync(join(tmpdir(), 'sdc-freeze-'));
const yamlFile = join(dir, 'screwdriver.yaml');

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.api.request(method, path, user, body);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

async function jobBuilds(name: string): Promise<Build[]> {
  const jobs = await api<Array<{ id: number; name: string }>>('GET', `/v4/pipelines/${pipelineId}/jobs`);
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new Error(`pipeline ${pipelineId} has no job ${name}`);
  return api<Build[]>('GET', `/v4/jobs/${job.id}/builds`);
}

/** POST /v4/events from one job; its new build. */
async function start(name: string): Promise<Build> {
  const before = new Set((await jobBuilds(name)).map((b) => b.id));
  await api('POST', '/v4/events', { pipelineId, startFrom: name });
  return waitFor(`a new build of ${name}`, async () => (await jobBuilds(name)).find((b) => !before.has(b.id)), 30_000);
}

async function inStatus(id: number, statuses: string[], timeoutMs: number): Promise<Build> {
  let last: Build | undefined;
  return waitFor(
    () => `build ${id} to be ${statuses.join(' or ')} (it is ${last?.status}: ${last?.statusMessage ?? ''})`,
    async () => {
      last = await api<Build>('GET', `/v4/builds/${id}`);
      return statuses.includes(last.status) ? last : undefined;
    },
    timeoutMs,
    500,
  );
}

/** The broker's own view of a build (GET /v4/builds/{id}). */
const brokerView = (id: number) => call('GET', `${stack.broker.url}/v4/builds/${id}`, stack.broker.adminToken);

beforeAll(async () => {
  writeFileSync(yamlFile, yaml('0 12 29 2 ?'));
  stack = await startStack({
    repositories: [
      { name: REPO, id: '202', branch: 'main', sha: 'f00d'.padEnd(40, '0'), screwdriverYaml: '', screwdriverYamlFile: yamlFile },
    ],
    cluster: { name: 'freeze-1', scmOrganization: ORG },
    brokerEnv: { LEASE_MS: '6000' },
  });
  ({ user, pipelineId } = await createPipeline(stack, REPO));
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => stack?.dumpLogs());
});

describe('freeze windows with the real Screwdriver API', () => {
  it('freezes builds inside the window (FROZEN), and starts the job again as the pipeline admin when it ends', async () => {
    // Both builds must reach the broker within the window's minute: wait for the next one if it is nearly over.
    if (new Date().getUTCSeconds() >= 45) await new Promise((r) => setTimeout(r, (61 - new Date().getUTCSeconds()) * 1000));
    const now = new Date();
    const window = `${now.getUTCMinutes()} ${now.getUTCHours()} * * ?`;
    writeFileSync(yamlFile, yaml(window));

    const held = await start('frozen-main');
    const aborted = await start('frozen-abort');
    const frozen = await inStatus(held.id, ['FROZEN'], 30_000);
    const message = /^Blocked by freeze window, re-enqueued to (.+)$/.exec(frozen.statusMessage ?? '');
    expect(message, frozen.statusMessage ?? '').not.toBeNull();
    const reEnqueued = new Date(message![1]!);
    expect(message![1]).toMatch(/^\w{3} \w{3} \d\d \d{4} \d\d:\d\d:\d\d GMT\+0000 \(Coordinated Universal Time\)$/);
    // The window is one minute: it ends at the next minute, at the second the build arrived.
    expect(reEnqueued.getUTCMinutes()).toBe((now.getUTCMinutes() + 1) % 60);
    const view = await brokerView(held.id);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ buildId: held.id, state: 'frozen' });
    const frozenUntil = Date.parse((view.body as { frozenUntil: string }).frozenUntil);
    expect(Math.floor(frozenUntil / 1000)).toBe(reEnqueued.getTime() / 1000);

    // A user aborts the other frozen build: the API tells the broker (stopFrozen, then the stop); nothing restarts it.
    await inStatus(aborted.id, ['FROZEN'], 30_000);
    await api('PUT', `/v4/builds/${aborted.id}`, { status: 'ABORTED' });
    expect((await inStatus(aborted.id, ['ABORTED'], 10_000)).statusMessage).toBe('Frozen build aborted by alice');
    await waitFor(`the broker to forget build ${aborted.id}`, async () => (await brokerView(aborted.id)).status === 404, 10_000);

    // The window ends: a new build of the job, in a new event created as the admin by the scheduler, runs to SUCCESS.
    const thawed = await waitFor(
      'the build started when the window ended',
      async () => (await jobBuilds('frozen-main')).find((b) => b.id !== held.id),
      90_000,
    );
    expect(Date.parse(thawed.createTime!)).toBeGreaterThanOrEqual(frozenUntil - 1000);
    const done = await inStatus(thawed.id, ['SUCCESS', 'FAILURE', 'ABORTED', 'UNSTABLE'], 90_000);
    expect(done.status, done.statusMessage ?? '').toBe('SUCCESS');
    const event = await api<{ causeMessage: string; creator: { username: string; name: string }; parentEventId?: number }>(
      'GET',
      `/v4/events/${thawed.eventId}`,
    );
    expect(event).toMatchObject({
      causeMessage: 'Started by freeze window scheduler',
      creator: { username: 'sd:scheduler', name: 'Screwdriver scheduler' },
      parentEventId: held.eventId,
    });
    expect(stack.worker.deliveriesOf(thawed.id).filter((d) => d.type === 'start')).toHaveLength(1);
    expect(stack.worker.deliveriesOf(held.id)).toHaveLength(0);

    // Once: no third build of the job, none of the aborted one; the broker forgot the frozen build.
    await new Promise((r) => setTimeout(r, 5000));
    expect((await jobBuilds('frozen-main')).map((b) => b.id).sort()).toEqual([held.id, thawed.id].sort());
    expect((await jobBuilds('frozen-abort')).map((b) => b.id)).toEqual([aborted.id]);
    expect((await brokerView(held.id)).status).toBe(404);
    // As with the queue-service, the frozen build itself stays FROZEN in Screwdriver: the new event replaced it.
    expect((await api<Build>('GET', `/v4/builds/${held.id}`)).status).toBe('FROZEN');
    // Every call of the API to the broker was answered 2xx, the ?type=frozen stop included.
    const fromApi = countsSince(stack.countsAtStart, await stack.broker.requestCounts()).filter((c) =>
      c.route.startsWith('/v1/'),
    );
    expect(fromApi.filter((c) => c.status >= 300)).toEqual([]);
    expect(fromApi).toContainEqual(expect.objectContaining({ method: 'DELETE', route: '/v1/queue/message', status: 200 }));
  }, 240_000);
});
