import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, testRedisPorts, type TestBroker } from '../../../test/support/broker.js';
import {
  connectionsTo,
  postBuild,
  registerCluster,
  startMessage,
  waitFor,
  workerOf,
  type TestCluster,
} from '@buildcluster/testkit/queue';

/** Long polls (README "Architecture": waiting polls hold no Redis connection): woken across replicas, no Redis connection each, no stampede. */
describe('long polls', () => {
  let broker: TestBroker;
  let alpha: TestCluster;
  let nextId = 0;

  beforeAll(async () => {
    broker = await startTestBroker();
    alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
  });
  afterAll(async () => broker.close());

  const post = (app = broker.app) => postBuild(app, broker.sdapiToken, startMessage(++nextId));

  it('a build posted to one broker wakes a poll waiting on another within milliseconds', async () => {
    const replica = await broker.replica();
    const waiting = workerOf(replica.app, alpha).poll({ waitMs: 10_000 });
    await waitFor('the poll to wait', () => replica.app.queue.waitingPolls() === 1);
    const started = performance.now();
    const posted = await post();
    const { status, jobs } = await waiting;
    const elapsed = performance.now() - started;
    expect(status).toBe(200);
    expect(jobs.map((j) => j.buildId)).toEqual([posted.json().buildId]);
    // typically 1–3 ms on this machine; the bound only guards against a missed wake-up (10 s)
    expect(elapsed).toBeLessThan(1000);
    await workerOf(broker.app, alpha).ack(jobs.map((j) => j.leaseId));
    await replica.close();
  });

  it('answers 204 after waitMs when nothing arrives', async () => {
    const started = Date.now();
    const { status } = await workerOf(broker.app, alpha).poll({ waitMs: 300 });
    expect(status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('wakes as many waiting polls as builds arrived, not all of them', async () => {
    const worker = workerOf(broker.app, alpha);
    const polls = Array.from({ length: 10 }, (_, i) => worker.poll({ workerId: `w${i}`, waitMs: 20_000 }));
    await waitFor('10 polls to wait', () => broker.app.queue.waitingPolls() === 10);
    await Promise.all([post(), post(), post()]);
    await waitFor('3 polls to be answered', () => broker.app.queue.waitingPolls() === 7);
    // the other seven keep waiting for the next builds
    await Promise.all(Array.from({ length: 7 }, () => post()));
    const answers = await Promise.all(polls);
    const ids = answers.flatMap((a) => a.jobs.map((j) => j.buildId));
    expect(answers.every((a) => a.jobs.length === 1)).toBe(true);
    expect(new Set(ids).size).toBe(10);
    await worker.ack(answers.flatMap((a) => a.jobs.map((j) => j.leaseId)));
  });

  it('500 waiting polls add no Redis connection, and 500 builds answer each exactly once', async () => {
    // The test Redis's port, or every node's of the test cluster.
    const redisConnections = () => testRedisPorts().reduce((n, port) => n + connectionsTo(port), 0);
    const before = redisConnections();
    expect(before).toBeGreaterThan(0);
    const worker = workerOf(broker.app, alpha);
    const polls = Array.from({ length: 500 }, (_, i) => worker.poll({ workerId: `w${i % 20}`, waitMs: 30_000 }));
    await waitFor('500 polls to wait', () => broker.app.queue.waitingPolls() === 500);
    expect(redisConnections()).toBe(before);
    for (let i = 0; i < 500; i += 50) await Promise.all(Array.from({ length: 50 }, () => post()));
    const answers = await Promise.all(polls);
    expect(answers.every((a) => a.status === 200 && a.jobs.length === 1)).toBe(true);
    expect(new Set(answers.map((a) => a.jobs[0]!.buildId)).size).toBe(500);
    expect(redisConnections()).toBe(before);
    const leases = answers.map((a) => a.jobs[0]!.leaseId);
    for (let i = 0; i < leases.length; i += 100) await worker.ack(leases.slice(i, i + 100));
  }, 60_000);
});

describe('long polls and lease expiry', () => {
  let broker: TestBroker;
  let alpha: TestCluster;

  beforeAll(async () => {
    broker = await startTestBroker({ env: { LEASE_MS: '1000' } });
    alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
  });
  afterAll(async () => broker.close());

  it('wakes a waiting poll on another replica when a lease runs out', async () => {
    await postBuild(broker.app, broker.sdapiToken, startMessage(1));
    const [job] = (await workerOf(broker.app, alpha).poll({ workerId: 'dies' })).jobs;
    const replica = await broker.replica({ LEASE_MS: '1000' });
    const { jobs } = await workerOf(replica.app, alpha).poll({ workerId: 'takes-over', waitMs: 10_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(job!.leaseExpiresAt));
    expect(Date.now() - Date.parse(job!.leaseExpiresAt)).toBeLessThan(1500);
    expect(jobs[0]).toMatchObject({ buildId: 1, attempt: 2 });
    await replica.close();
  });
});

describe('shutdown', () => {
  it('answers waiting polls 204 at once', async () => {
    const broker = await startTestBroker();
    const alpha = await registerCluster(broker.app, broker.adminToken, 'alpha');
    const worker = workerOf(broker.app, alpha);
    const polls = Array.from({ length: 20 }, () => worker.poll({ waitMs: 30_000 }));
    await waitFor('20 polls to wait', () => broker.app.queue.waitingPolls() === 20);
    const started = Date.now();
    const closing = broker.close();
    const answers = await Promise.all(polls);
    expect(answers.every((a) => a.status === 204)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    await closing;
  });
});
