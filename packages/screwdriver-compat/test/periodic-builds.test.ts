import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../harness/http.js';
import { countsSince } from '../harness/metrics.js';
import { SD_API_DIR } from '../harness/paths.js';
import { startStack, type Stack } from '../harness/stack.js';
import { waitFor } from '../harness/wait.js';

/**
 * Periodic builds (`screwdriver.cd/buildPeriodically`) with the real Screwdriver API: the API
 * registers the job's schedule with the broker when the pipeline is created (POST
 * ?type=periodic), the broker starts the job on its cron through the API as the pipeline's admin,
 * and the API stops the schedule when the job leaves screwdriver.yaml (DELETE ?type=periodic).
 *
 * Screwdriver hashes every cron's minute (a job runs at most hourly), so the broker's schedule
 * clock runs RATE times as fast here (PERIODIC_CLOCK_RATE, test only): an hour lasts 20 s.
 */
const RATE = 180;
const PERIOD_MS = 3_600_000 / RATE;
const ORG = 'test-org';
const REPO = `${ORG}/periodic`;
const yaml = (withTick: boolean) => `
shared:
  image: node:20
jobs:
${
  withTick
    ? `  tick:
    annotations:
      screwdriver.cd/buildPeriodically: H * * * *
    steps:
      - work: echo tick
`
    : ''
}  stays:
    steps:
      - work: echo stays
`;

interface Build {
  id: number;
  status: string;
  eventId: number;
  createTime: string;
  statusMessage?: string | null;
}
interface Schedule {
  jobId: number;
  cron: string;
  expression: string;
  state: string;
  stoppedReason: string | null;
  nextAt: string | null;
  lastOutcome: string | null;
}

let stack: Stack;
let user: string;
let pipelineId: number;
let tickJobId: number;
const yamlDir = mkdtempSync(join(tmpdir(), 'sdc-periodic-'));
const yamlFile = join(yamlDir, 'screwdriver.yaml');

async function buildsOf(jobId: number): Promise<Build[]> {
  const res = await stack.api.request('GET', `/v4/jobs/${jobId}/builds`, user);
  if (res.status !== 200) throw new Error(`GET /v4/jobs/${jobId}/builds answered ${res.status}`);
  return res.body as Build[];
}

async function scheduleOf(jobId: number): Promise<Schedule | undefined> {
  const res = await call('GET', `${stack.broker.url}/v4/periodic?pipelineId=${pipelineId}`, stack.broker.adminToken);
  if (res.status !== 200) throw new Error(`broker GET /v4/periodic answered ${res.status}`);
  return (res.body as { schedules: Schedule[] }).schedules.find((s) => s.jobId === jobId);
}

beforeAll(async () => {
  writeFileSync(yamlFile, yaml(true));
  stack = await startStack({
    repositories: [
      {
        name: REPO,
        id: '201',
        branch: 'main',
        sha: 'feed'.padEnd(40, '0'),
        screwdriverYaml: yaml(true),
        screwdriverYamlFile: yamlFile,
      },
    ],
    cluster: { name: 'periodic-1', scmOrganization: ORG },
    brokerEnv: { PERIODIC_CLOCK_RATE: String(RATE), LEASE_MS: '6000' },
  });
  user = await stack.api.userToken('alice');
  const created = await stack.api.request('POST', '/v4/pipelines', user, { checkoutUrl: `https://scm.test/${REPO}.git` });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  pipelineId = (created.body as { id: number }).id;
  const jobs = (await stack.api.request('GET', `/v4/pipelines/${pipelineId}/jobs`, user)).body as Array<{
    id: number;
    name: string;
  }>;
  tickJobId = jobs.find((j) => j.name === 'tick')!.id;
});

afterAll(async () => {
  await stack?.stop();
  rmSync(yamlDir, { recursive: true, force: true });
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => stack?.dumpLogs());
});

describe('periodic builds with the real Screwdriver API', () => {
  it('starts the job on its cron through the API, as the pipeline admin, and each build runs to SUCCESS', async () => {
    // Registered by the API when it created the job; the minute is the one Screwdriver's queue-service
    // gives this job (string-hash of its id, the package the queue-service hashes with).
    const stringHash = createRequire(join(SD_API_DIR, 'package.json'))('string-hash') as (s: string) => number;
    const schedule = await waitFor(`the broker to hold job ${tickJobId}'s schedule`, () => scheduleOf(tickJobId), 10_000);
    expect(schedule).toMatchObject({
      cron: 'H * * * *',
      state: 'active',
      expression: `${stringHash(String(tickJobId)) % 60} * * * *`,
    });
    expect(new Date(schedule.nextAt!).getUTCMinutes()).toBe(stringHash(String(tickJobId)) % 60);

    const done = await waitFor(
      'two periodic builds of job tick to succeed',
      async () => {
        const builds = (await buildsOf(tickJobId)).filter((b) => b.status === 'SUCCESS');
        return builds.length >= 2 ? builds : undefined;
      },
      PERIOD_MS * 3 + 60_000,
      1000,
    );
    const [second, first] = done;
    const apart = Date.parse(second!.createTime) - Date.parse(first!.createTime);
    // One hour of the job's cron apart, on the broker's clock.
    expect(apart).toBeGreaterThan(PERIOD_MS * 0.6);
    expect(apart).toBeLessThan(PERIOD_MS * 1.6);
    for (const build of done) {
      const event = (await stack.api.request('GET', `/v4/events/${build.eventId}`, user)).body as Record<string, unknown>;
      expect(event).toMatchObject({ causeMessage: 'Started by periodic build scheduler', pipelineId });
      console.log(`periodic build ${build.id}: event ${build.eventId} by ${JSON.stringify(event.creator)}`);
    }
    expect((await scheduleOf(tickJobId))?.lastOutcome).toMatch(/^started event \d+/);
  });

  it("stops when the job leaves screwdriver.yaml: the API's DELETE ?type=periodic", async () => {
    writeFileSync(yamlFile, yaml(false));
    const synced = await stack.api.request('POST', `/v4/pipelines/${pipelineId}/sync`, user);
    expect(synced.status, JSON.stringify(synced.body)).toBeLessThan(300);
    const stopped = await waitFor(
      `job ${tickJobId}'s schedule to stop`,
      async () => {
        const s = await scheduleOf(tickJobId);
        return s?.state === 'stopped' ? s : undefined;
      },
      30_000,
    );
    expect(stopped).toMatchObject({ nextAt: null, stoppedReason: expect.stringContaining('stopped by Screwdriver') });
    // Builds a tick started just before the stop may still run; none starts after them.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const before = (await buildsOf(tickJobId)).length;
    await new Promise((resolve) => setTimeout(resolve, PERIOD_MS * 1.5));
    expect((await buildsOf(tickJobId)).length).toBe(before);
  });

  it('answered every call of the API with a 2xx (the periodic POST and DELETE among them)', async () => {
    const counts = countsSince(stack.countsAtStart, await stack.broker.requestCounts());
    const fromApi = counts.filter((c) => c.route.startsWith('/v1/') || c.route === 'unmatched');
    console.log(
      `calls of the Screwdriver API:\n${fromApi.map((c) => `  ${c.method} ${c.route} → ${c.status} ×${c.count}`).join('\n')}`,
    );
    expect(fromApi.filter((c) => c.status >= 300)).toEqual([]);
    expect(fromApi).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST', route: '/v1/queue/message', status: 200 }),
        expect.objectContaining({ method: 'DELETE', route: '/v1/queue/message', status: 200 }),
      ]),
    );
  });
});
