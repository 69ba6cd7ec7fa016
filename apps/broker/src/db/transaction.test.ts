import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clusterKeyPair, registration } from '@buildcluster/testkit/clusters';
import { startTestBroker, type TestBroker } from '../../test/support/broker.js';
import { QUEUE_KEYS } from '../../test/screwdriver/recording-api.js';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { BuildClusterSchema } from './entities.js';
import { inTransaction } from './transaction.js';

/** Where an AsyncLocalStorage was entered from, for the failure message. */
type Entered = { how: 'run' | 'enterWith'; stack: string };

let broker: TestBroker;
const entered: Entered[] = [];

beforeAll(async () => {
  // Spies, not stand-ins: each call still runs Node's own method, and is noted with its caller.
  for (const how of ['run', 'enterWith'] as const) {
    const original = Object.getOwnPropertyDescriptor(AsyncLocalStorage.prototype, how)?.value as (
      this: AsyncLocalStorage<unknown>,
      ...args: unknown[]
    ) => unknown;
    vi.spyOn(AsyncLocalStorage.prototype, how).mockImplementation(function (
      this: AsyncLocalStorage<unknown>,
      ...args: unknown[]
    ) {
      entered.push({ how, stack: new Error().stack ?? '' });
      return original.apply(this, args);
    } as never);
  }
  broker = await startTestBroker({
    env: { PERIODIC_POLL_MS: '0', KEY_ROTATION_GRACE_SECONDS: '600', QUEUE_JWT_PRIVATE_KEY: QUEUE_KEYS.privateKey },
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await broker?.close();
});

const admin = () => ({ authorization: `Bearer ${broker.adminToken}` });

describe('inTransaction', () => {
  it('commits what the work wrote when it resolves, and nothing when it throws', async () => {
    const em = broker.app.orm.em.fork();
    await em.execute(`create table if not exists "txProbe" ("id" int primary key)`);
    await em.execute(`delete from "txProbe"`);
    await inTransaction(em, async (tx) => {
      await tx.execute(`insert into "txProbe" values (1)`);
    });
    await expect(
      inTransaction(em, async (tx) => {
        await tx.execute(`insert into "txProbe" values (2)`);
        // Seen inside the transaction, gone after the rollback.
        expect(await tx.execute(`select "id" from "txProbe" order by "id"`)).toEqual([{ id: 1 }, { id: 2 }]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await em.execute(`select "id" from "txProbe" order by "id"`)).toEqual([{ id: 1 }]);
    await em.execute(`drop table "txProbe"`);
  });
});

describe('inTransaction and unique constraints', () => {
  it('rejects a duplicate with the exception the registry turns into 409, and keeps nothing of it', async () => {
    const { body } = registration('unique-probe');
    expect(
      (await broker.app.inject({ method: 'PUT', url: '/v4/buildClusters', headers: admin(), payload: body })).statusCode,
    ).toBe(201);
    const em = broker.app.orm.em.fork();
    const row = await em.findOneOrFail(BuildClusterSchema, { name: 'unique-probe' });
    const { id: _id, ...copy } = row;
    // Two registrations that both passed the registry's checks: PostgreSQL's constraint decides.
    await expect(
      inTransaction(em, (tx) => tx.insert(BuildClusterSchema, { ...copy, name: 'unique-probe-2' })),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    expect(await em.fork().count(BuildClusterSchema, { name: 'unique-probe-2' })).toBe(0);
    expect(
      (await broker.app.inject({ method: 'DELETE', url: '/v4/buildClusters/unique-probe', headers: admin() })).statusCode,
    ).toBe(204);
  });
});

describe("the broker's PostgreSQL writes", () => {
  it('never enter an AsyncLocalStorage, so promise hooks stay off for every post, poll and ack', async () => {
    const { app } = broker;
    // Since before the broker started: its migrations and start-up count too.

    // The registry: a registration, two key rotations (the second replaces the first's row), a
    // change of fields, a refused duplicate, a delete.
    const { body } = registration('hooks-off');
    expect((await app.inject({ method: 'PUT', url: '/v4/buildClusters', headers: admin(), payload: body })).statusCode).toBe(201);
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({
        method: 'PUT',
        url: '/v4/buildClusters/hooks-off',
        headers: admin(),
        payload: { publicKey: clusterKeyPair('ES256').publicKey },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const changed = await app.inject({
      method: 'PUT',
      url: '/v4/buildClusters/hooks-off',
      headers: admin(),
      payload: {
        weightage: 7,
        description: 'after the rotations',
        provider: { name: 'aws', region: 'us-west-2', accountId: '123456789012' },
      },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ weightage: 7, description: 'after the rotations', provider: { name: 'aws' } });
    const again = await app.inject({ method: 'PUT', url: '/v4/buildClusters', headers: admin(), payload: body });
    expect(again.statusCode).toBe(409);
    const rotations = await app.orm.em
      .fork()
      .execute(
        `select count(*)::int as n from "clusterKeyRotations" r join "buildClusters" c on c."id" = r."clusterId" where c."name" = 'hooks-off'`,
      );
    expect(rotations).toEqual([{ n: 1 }]);
    expect((await app.inject({ method: 'DELETE', url: '/v4/buildClusters/hooks-off', headers: admin() })).statusCode).toBe(204);

    // Periodic builds: a schedule, a claim of its tick, a stop.
    const periodic = {
      pipeline: { id: 77, name: 'org/hooks', scmContext: 'github:github.com', admins: { alice: true } },
      job: {
        id: 7701,
        name: 'nightly',
        pipelineId: 77,
        state: 'ENABLED',
        archived: false,
        permutations: [{ annotations: { 'screwdriver.cd/buildPeriodically': 'H * * * *' } }],
      },
      apiUri: 'http://127.0.0.1:9',
    };
    const sd = { authorization: `Bearer ${broker.sdapiToken}` };
    const started = await app.inject({ method: 'POST', url: '/v1/queue/message?type=periodic', headers: sd, payload: periodic });
    expect(started.statusCode, started.body).toBe(200);
    const nextAt = new Date(started.json().nextAt as string);
    expect(await app.periodic.ticker.claimDue(nextAt)).toContain(7701);
    const stopped = await app.inject({
      method: 'DELETE',
      url: '/v1/queue/message?type=periodic',
      headers: sd,
      payload: { jobId: 7701 },
    });
    expect(stopped.json()).toMatchObject({ jobId: 7701, schedule: 'stopped' });

    expect(entered.map((e) => `${e.how}\n${e.stack}`)).toEqual([]);
  });
});
