import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptions } from '../../src/plugins/external/redis.js';
import { BuildRules } from '../../src/screwdriver/rules.js';
import {
  postBuild,
  registerCluster,
  startMessage,
  stopBuild,
  waitFor,
  workerOf,
  type TestCluster,
} from '@buildcluster/testkit/queue';
import { API_PUBLIC_KEY, startTestBroker, TEST_REDIS_URL, type TestBroker } from '../support/broker.js';

/**
 * A broker killed in the middle of a release: another instance on the same PostgreSQL and Redis
 * finishes it. The released build is queued exactly once, and the rules hold throughout.
 */
const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));

describe('a release interrupted by a broker kill', () => {
  let broker: TestBroker;
  let cluster: TestCluster;
  let nextJob = 7000;
  let nextBuild = 70_000;
  const starts = new Map<number, number>();

  beforeAll(async () => {
    if (!existsSync(SERVER)) throw new Error(`build the broker first (pnpm --dir apps/broker build): ${SERVER} is missing`);
    broker = await startTestBroker();
    cluster = await registerCluster(broker.app, broker.adminToken, 'kill-1');
  });
  afterAll(async () => broker.close());

  const post = async (jobId: number, blockedBy: number[]) => {
    const message = startMessage(++nextBuild, { jobId, blockedBy, buildClusterName: 'kill-1' });
    return {
      buildId: message.buildId,
      answer: (await postBuild(broker.app, broker.sdapiToken, message)).json<{ state: string }>(),
    };
  };
  /** Takes and acks what the cluster has, counting each build's start deliveries. */
  const drain = async (): Promise<number[]> => {
    const worker = workerOf(broker.app, cluster);
    const { jobs } = await worker.poll({ max: 100 });
    if (jobs.length > 0) await worker.ack(jobs.map((j) => j.leaseId));
    const started = jobs.filter((j) => j.type === 'start').map((j) => j.buildId);
    for (const id of started) starts.set(id, (starts.get(id) ?? 0) + 1);
    return started;
  };
  /** A blocker running (acked) and a build of its job blocked behind it. */
  const blockedPair = async () => {
    const job = ++nextJob;
    const blocker = await post(job, [job]);
    expect(blocker.answer.state).toBe('queued');
    expect(await drain()).toEqual([blocker.buildId]);
    const held = await post(job, [job]);
    expect(held.answer.state).toBe('blocked');
    return { job, blocker: blocker.buildId, held: held.buildId };
  };
  const journal = async (): Promise<number[]> => {
    const ids: string[] = await broker.app.redis.zrange('rules:{rules}:admitting', '0', '-1');
    return ids.map(Number);
  };
  /**
   * Waits until the build was delivered and has left the admission journal, then checks no second
   * delivery followed. A broker killed after queuing the build but before dropping its journal entry
   * leaves that entry to a journal sweep (10 s on), which finds the build queued and only drops it.
   */
  const queuedOnce = async (buildId: number, sweepsMs = 0) => {
    await waitFor(`build ${buildId} to be queued`, async () => (await drain(), starts.get(buildId) === 1), 30_000);
    if (sweepsMs > 0) await new Promise((r) => setTimeout(r, sweepsMs));
    await waitFor(
      `build ${buildId} to leave the admission journal`,
      async () => (await drain(), !(await journal()).includes(buildId)),
      30_000,
    );
    await drain();
    expect(starts.get(buildId)).toBe(1);
  };

  it('queues a build the rules released on an instance that died before queuing it, once', async () => {
    const { job, blocker, held } = await blockedPair();
    // The dying instance's release: the settle script ran (the build is let go and journalled), then the process died.
    const redis = new Redis(TEST_REDIS_URL, redisOptions(broker.redisKeyPrefix));
    try {
      const settled = await new BuildRules(redis, false).settle(blocker);
      expect(settled).toMatchObject({ was: 'running', released: [{ buildId: held }] });
    } finally {
      redis.disconnect();
    }
    expect(await journal()).toContain(held);
    // Screwdriver got no answer and retries the stop on the live instance: nothing is released twice.
    expect((await stopBuild(broker.app, broker.sdapiToken, blocker)).statusCode).toBeLessThan(300);
    // The held build is running for the rules already: another build of its job waits behind it.
    const next = await post(job, [job]);
    expect(next.answer.state).toBe('blocked');
    // The live instance's journal sweep queues it (journalled over 10 s ago), and only once.
    await queuedOnce(held, 6000);
    expect(starts.get(next.buildId)).toBeUndefined();
    await stopBuild(broker.app, broker.sdapiToken, held);
    await queuedOnce(next.buildId);
    await stopBuild(broker.app, broker.sdapiToken, next.buildId);
  }, 90_000);

  it('survives SIGKILL of a broker process (from dist) right after it was sent the blocker stop', async () => {
    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      const { blocker, held } = await blockedPair();
      const dying = await spawnBroker(broker);
      const stop = fetch(`${dying.url}/v1/queue/message`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${broker.sdapiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ buildId: blocker, jobId: 7 }),
      }).then(
        (res) => res.status,
        () => 0,
      );
      // Killed at once, a little later each round: before, during or after the release.
      await new Promise((r) => setTimeout(r, round * 3));
      dying.child.kill('SIGKILL');
      const status = await stop;
      // No answer: Screwdriver sends the stop again, here to the live instance.
      if (status !== 200) expect((await stopBuild(broker.app, broker.sdapiToken, blocker)).statusCode).toBeLessThan(300);
      await queuedOnce(held, round === rounds - 1 ? 11_000 : 0);
      await stopBuild(broker.app, broker.sdapiToken, held);
    }
    // Nothing left waiting or journalled; every build started exactly once.
    expect(await broker.app.screwdriver.rules.waitingCount()).toBe(0);
    expect(await journal()).toEqual([]);
    expect([...starts.values()].every((n) => n === 1)).toBe(true);
  }, 150_000);
});

async function spawnBroker(broker: TestBroker): Promise<{ child: ChildProcess; url: string }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: broker.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: broker.redisKeyPrefix,
      API_JWT_PUBLIC_KEY: API_PUBLIC_KEY,
      REDIS_AOF_CHECK: 'false',
      LOG_LEVEL: 'silent',
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the spawned broker to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`the spawned broker exited with ${child.exitCode}`);
      return (await fetch(`${url}/v4/status/ready`).catch(() => null))?.status === 200;
    },
    30_000,
  );
  return { child, url };
}
