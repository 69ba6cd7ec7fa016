import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisOptions } from '../plugins/external/redis.js';
import { waitFor } from '@buildcluster/testkit/queue';
import { flushPrefix, testRedis } from '@buildcluster/testkit/redis';
import type { AdminEventOutcome } from './admin-events.js';
import { FrozenBuilds, type FrozenEvent } from './frozen.js';
import { SD_KEYS } from './keys.js';
import { sdScripts } from './scripts.js';

/**
 * The frozen-build store against the real Redis, with two stores on their own connections playing
 * two broker replicas. What they call when a window ends is recorded: the call to the API itself
 * (AdminEvents) is covered with the real Screwdriver API in packages/screwdriver-compat.
 */
const log = Fastify({ logger: false }).log;
const prefix = `t-fz-${randomUUID().slice(0, 8)}:`;
const clients: Redis[] = [];
const stores: FrozenBuilds[] = [];
let nextJob = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function client(): Redis {
  const redis = testRedis(redisOptions(prefix));
  clients.push(redis);
  return redis;
}

interface Call {
  jobId: number;
  buildId?: number;
  at: number;
}

/** A replica's store whose starts are recorded in `calls` and answered by `answer`. */
function replica(
  calls: Call[],
  answer: (event: FrozenEvent, n: number) => Promise<AdminEventOutcome> | AdminEventOutcome = () => ({
    kind: 'started',
    eventId: 1,
  }),
  options: { claimMs?: number; retryMs?: number } = {},
): FrozenBuilds {
  const store = new FrozenBuilds({
    redis: client(),
    log,
    ...options,
    async start(event) {
      calls.push({ jobId: event.jobId, ...(event.buildId === undefined ? {} : { buildId: event.buildId }), at: Date.now() });
      // Slow, as the two API calls are: a second replica gets every chance to start it too.
      await sleep(100);
      return answer(event, calls.filter((c) => c.jobId === event.jobId).length);
    },
  });
  stores.push(store);
  return store;
}

const event = (jobId: number, buildId: number, extra: Partial<FrozenEvent> = {}): FrozenEvent => ({
  apiUri: 'http://sd.example',
  pipelineId: 7,
  scmContext: 'github:github.com',
  jobId,
  jobName: `job-${jobId}`,
  causeMessage: 'Started by freeze window scheduler',
  buildId,
  ...extra,
});

describe('frozen builds (Redis): one per job, started once when the window ends', () => {
  let reader: FrozenBuilds;

  beforeAll(() => {
    reader = new FrozenBuilds({ redis: client(), log, start: null });
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    await flushPrefix(prefix);
  });

  it('keeps one frozen build per job: a newer one replaces the older, which is never started', async () => {
    const calls: Call[] = [];
    const store = replica(calls);
    const job = ++nextJob;
    const soon = new Date(Date.now() + 400);
    expect(await store.freeze(9001, soon, 'inside freeze window * * * * ?', event(job, 9001))).toBeNull();
    expect(await store.freeze(9002, soon, 'inside freeze window * * * * ?', event(job, 9002))).toBe(9001);
    expect(await store.get(9001)).toBeNull();
    expect(await store.get(9002)).toMatchObject({ buildId: 9002, jobId: job, pipelineId: 7, frozenUntil: soon.toISOString() });
    expect(await store.forgetBuild(9001)).toBe(false);
    store.run();
    await waitFor('the start', () => calls.length === 1 && calls, 5000);
    await waitFor('the started build to be forgotten', async () => (await store.get(9002)) === null, 2000);
    await sleep(300);
    expect(calls).toEqual([expect.objectContaining({ jobId: job, buildId: 9002 })]);
  });

  it('starts each due build exactly once with two replicas racing', async () => {
    const calls: Call[] = [];
    const a = replica(calls);
    const b = replica(calls);
    const jobs = Array.from({ length: 20 }, () => ++nextJob);
    const due = new Date(Date.now() + 300);
    for (const [i, job] of jobs.entries()) await (i % 2 ? a : b).freeze(10_000 + job, due, 'window', event(job, 10_000 + job));
    a.run();
    b.run();
    await waitFor('every start', () => calls.length >= jobs.length && calls, 10_000);
    await waitFor('the store to empty', async () => (await reader.count()) === 0 || undefined, 5000);
    await sleep(500);
    expect(calls.map((c) => c.jobId).sort()).toEqual([...jobs].sort());
    for (const call of calls) expect(call.at).toBeGreaterThanOrEqual(due.getTime() - 50);
  });

  it('starts a build claimed by a broker that died only once its claim ran out, and once', async () => {
    const redis = client();
    const job = ++nextJob;
    const calls: Call[] = [];
    const survivor = replica(calls, undefined, { claimMs: 1500 });
    await survivor.freeze(20_001, new Date(), 'window', event(job, 20_001));
    // The dead broker: it claimed the build (as its loop does) and never called the API.
    const claimedAt = Date.now();
    await sdScripts(redis)['claim-due'](SD_KEYS.frozenDue, SD_KEYS.frozenBase, 10, 1500, 'b', 'e', 'n');
    survivor.run();
    await sleep(1000);
    expect(calls).toEqual([]);
    await waitFor('the start after the claim ran out', () => calls.length === 1, 5000);
    expect(calls[0]!.at - claimedAt).toBeGreaterThanOrEqual(1400);
    await sleep(2000);
    expect(calls).toHaveLength(1);
    expect(await reader.count()).toBe(0);
  });

  it('does not start it again when the API created the event but its answer was lost', async () => {
    const job = ++nextJob;
    const calls: Call[] = [];
    const other = new FrozenBuilds({ redis: client(), log, start: null });
    // The API sends the new build's start message (which forgets the job's frozen build) before it
    // answers; here the answer never arrives.
    const store = replica(
      calls,
      async (e) => {
        await other.forgetJob(e.jobId);
        return { kind: 'retry', why: 'socket hang up' };
      },
      { claimMs: 500, retryMs: 200 },
    );
    await store.freeze(30_001, new Date(), 'window', event(job, 30_001));
    store.run();
    await waitFor('the start', () => calls.length === 1, 5000);
    await sleep(1500);
    expect(calls).toHaveLength(1);
    expect(await store.get(30_001)).toBeNull();
  });

  it('retries a start the API could not take, with a growing delay, then forgets the build', async () => {
    const job = ++nextJob;
    const calls: Call[] = [];
    const store = replica(
      calls,
      (_e, n): AdminEventOutcome => (n < 3 ? { kind: 'retry', why: 'API answered 503' } : { kind: 'started', eventId: 3 }),
      { retryMs: 300 },
    );
    await store.freeze(40_001, new Date(), 'window', event(job, 40_001));
    store.run();
    await waitFor('three tries', () => calls.length === 3, 10_000);
    const [first, second, third] = calls as [Call, Call, Call];
    // 300 ms after the first failure, 600 ms after the second (plus the 100 ms the call takes).
    expect(second.at - first.at).toBeGreaterThanOrEqual(390);
    expect(third.at - second.at).toBeGreaterThanOrEqual(690);
    await waitFor('the build to be forgotten', async () => (await store.get(40_001)) === null, 2000);
    await sleep(1000);
    expect(calls).toHaveLength(3);
  });

  it('forgets a build whose start was given up, and does not start a disabled or archived job', async () => {
    const calls: Call[] = [];
    const store = replica(calls, (e) =>
      e.jobId === givenUp ? { kind: 'given-up', why: 'pipeline has no admin' } : { kind: 'started', eventId: 1 },
    );
    const givenUp = ++nextJob;
    const disabled = ++nextJob;
    const archived = ++nextJob;
    await store.freeze(50_001, new Date(), 'window', event(givenUp, 50_001));
    await store.freeze(50_002, new Date(), 'window', event(disabled, 50_002, { jobState: 'DISABLED' }));
    await store.freeze(50_003, new Date(), 'window', event(archived, 50_003, { jobArchived: true }));
    store.run();
    await waitFor('the store to empty', async () => (await reader.count()) === 0 || undefined, 5000);
    await sleep(300);
    expect(calls.map((c) => c.jobId)).toEqual([givenUp]);
  });

  it('lists frozen builds longest frozen first, and forgets one by job or by build', async () => {
    const jobs = [++nextJob, ++nextJob, ++nextJob];
    const later = new Date(Date.now() + 3_600_000);
    for (const [i, job] of jobs.entries()) {
      await reader.freeze(60_000 + i, later, `why ${i}`, event(job, 60_000 + i));
      await sleep(5);
    }
    const listed = await reader.list(2);
    expect(listed).toEqual([
      {
        buildId: 60_000,
        jobId: jobs[0],
        pipelineId: 7,
        frozenUntil: later.toISOString(),
        reason: 'why 0',
        frozenSince: expect.any(String),
      },
      {
        buildId: 60_001,
        jobId: jobs[1],
        pipelineId: 7,
        frozenUntil: later.toISOString(),
        reason: 'why 1',
        frozenSince: expect.any(String),
      },
    ]);
    expect(await reader.count()).toBe(3);
    expect(await reader.list(0)).toEqual([]);
    // The API's stopFrozen for an older build of the job leaves the job's frozen build alone.
    expect(await reader.forgetJob(jobs[0]!, 59_999)).toBeNull();
    expect(await reader.forgetJob(jobs[0]!)).toBe(60_000);
    expect(await reader.forgetBuild(60_001)).toBe(true);
    expect(await reader.forgetBuild(60_001)).toBe(false);
    expect((await reader.list(10)).map((b) => b.buildId)).toEqual([60_002]);
    expect(await reader.forgetJob(jobs[2]!, 60_002)).toBe(60_002);
    expect(await reader.count()).toBe(0);
  });
});
