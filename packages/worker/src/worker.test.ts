import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '@buildcluster/protocol';
import { WorkerClient } from './client.js';
import { generateClusterKeys } from './keygen.js';
import type { WorkerLog } from './log.js';
import { Worker, type JobHandler } from './worker.js';
import { json, startTinyServer, waitFor, type Route } from '../test/tiny-server.js';

/*
 * The worker loop against a tiny HTTP server that plays the broker's part exactly as a test needs
 * (short leases, a stop request, a lost lease). The real broker is exercised in test/cli.test.ts.
 */

const keys = generateClusterKeys('c1');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function memoryLog() {
  const lines: string[] = [];
  const log: WorkerLog = {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
  return { lines, log };
}

function job(n: number, leaseMs = 60_000): Job {
  return {
    leaseId: `lease-${n}`,
    buildId: n,
    type: 'start',
    attempt: 1,
    enqueuedAt: new Date().toISOString(),
    leaseExpiresAt: new Date(Date.now() + leaseMs).toISOString(),
    message: { buildId: n },
  };
}

/** Hands out `jobs` one poll at a time, then answers 204 after a short wait. */
function pollFrom(jobs: Job[]): Route {
  return (req, res) => {
    const next = jobs.splice(0, Number(req.body.max ?? 1));
    if (next.length > 0) return json(res, 200, { jobs: next });
    setTimeout(() => json(res, 204), Math.min(Number(req.body.waitMs ?? 0), 200));
  };
}

/** Extends every lease it is sent by `leaseMs` from now, and names `stop` as builds to stop. */
function extendAll(leaseMs: number, stop: number[] = []): Route {
  return (req, res) =>
    json(res, 200, {
      extended: (req.body.leaseIds as string[]).map((leaseId) => ({
        leaseId,
        leaseExpiresAt: new Date(Date.now() + leaseMs).toISOString(),
      })),
      rejected: [],
      stop,
    });
}

const ackAll: Route = (req, res) => json(res, 200, { acked: req.body.leaseIds, rejected: [] });

async function setup(routes: Record<string, Route>, handler: JobHandler, options: { concurrency?: number } = {}) {
  const server = await startTinyServer({
    ack: ackAll,
    nack: (req, res) => json(res, 200, { nacked: req.body.leaseIds, rejected: [] }),
    ...routes,
  });
  const client = new WorkerClient({
    brokerUrl: server.url,
    cluster: 'c1',
    privateKey: keys.privateKeyPem,
    signOption: keys.signOption,
    workerId: 'w-1',
  });
  const { lines, log } = memoryLog();
  const worker = new Worker({
    client,
    handler,
    log,
    pollWaitMs: 1000,
    concurrency: options.concurrency,
    backoff: { baseMs: 200, maxMs: 1000 },
  });
  const done = worker.start();
  cleanups.push(async () => {
    await worker.stop({ force: true });
    await done;
    await server.close();
  });
  return { server, worker, done, lines };
}

describe('Worker', () => {
  it('backs off on a 403 and keeps saying what the broker said, without a hot loop', async () => {
    const { server, lines } = await setup(
      {
        poll: (_req, res) =>
          json(res, 403, { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: 'cluster "c1" is not registered' }),
      },
      async () => {},
    );
    await waitFor(() => server.of('poll').length >= 4, 15_000, 'four polls');
    const polls = server.of('poll').length;
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    // With the backoff capped at 1 s and starting at 0.1–0.2 s, half a second holds at most a few tries.
    expect(server.of('poll').length - polls).toBeLessThanOrEqual(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(lines.filter((l) => l.includes('cluster "c1" is not registered')).length).toBeGreaterThanOrEqual(4);
    expect(lines[0]).toMatch(
      /^warning: poll failed: the broker refused this cluster \(403 FORBIDDEN: cluster "c1" is not registered\); retrying in/,
    );
  });

  it('extends the lease every third of it while the handler runs, then acks', async () => {
    const leaseMs = 900;
    const extendRoute = extendAll(leaseMs);
    const { server, lines } = await setup(
      { poll: pollFrom([job(1, leaseMs)]), extend: extendRoute },
      () => new Promise((r) => setTimeout(() => r('exit 0'), 2000)),
    );
    // The log line comes once the worker has read the ack's answer.
    await waitFor(() => lines.some((l) => l.includes('→ acked')), 10_000, 'the ack');
    const extends_ = server.of('extend').length;
    // 2 s of work on a 0.9 s lease extended every ~0.3 s: about 6 extends, at least 4 whatever the timer jitter.
    expect(extends_).toBeGreaterThanOrEqual(4);
    expect(extends_).toBeLessThanOrEqual(12);
    expect(server.of('ack')[0]!.body).toEqual({ leaseIds: ['lease-1'] });
    expect(lines).toContainEqual(expect.stringMatching(/^build 1 start done in 2\.\d s, exit 0 → acked$/));
  });

  it('nacks with the error message when the handler throws', async () => {
    const { server, lines } = await setup({ poll: pollFrom([job(2)]) }, async () => {
      throw new Error('exit 3');
    });
    await waitFor(() => lines.some((l) => l.includes('→ nacked')), 10_000, 'the nack');
    expect(server.of('nack')[0]!.body).toEqual({ leaseIds: ['lease-2'], reason: 'exit 3' });
    expect(server.of('ack')).toHaveLength(0);
    expect(lines).toContainEqual(
      expect.stringMatching(/^build 2 start done in .* s, exit 3 → nacked \(it will be delivered again\)$/),
    );
  });

  it('signals a build Screwdriver asked to stop, and acks it', async () => {
    const extendRoute = extendAll(900, [3]);
    let reason: unknown = null;
    const { server } = await setup(
      { poll: pollFrom([job(3, 900)]), extend: extendRoute },
      (_job, { signal }) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(new Error('killed by SIGTERM'));
          }),
        ),
    );
    await waitFor(() => server.of('ack').length === 1, 10_000, 'the ack');
    expect(reason).toBe('stop_requested');
    expect(server.of('nack')).toHaveLength(0);
  });

  it("lets a stop message's own command finish when the extend answer names its build", async () => {
    const extendRoute = extendAll(900, [4]);
    const stopJob: Job = { ...job(4, 900), leaseId: 'lease-4-stop', type: 'stop' };
    let aborted = false;
    const { server } = await setup(
      { poll: pollFrom([stopJob]), extend: extendRoute },
      (_job, { signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => (aborted = true));
          // Runs past two extends (each at a third of the 900 ms lease), then ends by itself.
          setTimeout(resolve, 1500);
        }),
    );
    await waitFor(() => server.of('ack').length === 1, 10_000, 'the ack');
    expect(server.of('extend').length).toBeGreaterThan(0);
    expect(aborted).toBe(false);
  });

  it('stops a build whose lease was lost and neither acks nor nacks it', async () => {
    const extendRoute: Route = (req, res) =>
      json(res, 200, {
        extended: [],
        rejected: (req.body.leaseIds as string[]).map((leaseId) => ({ leaseId, reason: 'lease_lost' })),
        stop: [],
      });
    let reason: unknown = null;
    const { server, lines } = await setup(
      { poll: pollFrom([job(4, 600)]), extend: extendRoute },
      (_job, { signal }) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            resolve('exit 0');
          }),
        ),
    );
    await waitFor(() => reason !== null, 10_000, 'the abort');
    await waitFor(() => lines.some((l) => l.includes('result dropped')), 10_000, 'the log line');
    expect(reason).toBe('lease_lost');
    expect(server.of('ack')).toHaveLength(0);
    expect(server.of('nack')).toHaveLength(0);
  });

  it('retries an ack whose reply was lost', async () => {
    let acks = 0;
    const { server } = await setup(
      {
        poll: pollFrom([job(5)]),
        ack: (req, res, raw) => (++acks === 1 ? void raw.socket.destroy() : ackAll(req, res, raw)),
      },
      async () => 'exit 0',
    );
    await waitFor(() => server.of('ack').length === 2, 10_000, 'the second ack');
    expect(server.of('ack').map((r) => r.body)).toEqual([{ leaseIds: ['lease-5'] }, { leaseIds: ['lease-5'] }]);
  });

  it('stops gracefully: the running build finishes and is acked, then start() resolves', async () => {
    let finish: (v: string) => void = () => {};
    const { server, worker, done } = await setup({ poll: pollFrom([job(6)]) }, () => new Promise<string>((r) => (finish = r)));
    await waitFor(() => worker.running === 1, 10_000, 'the build to start');
    const stopped = worker.stop();
    let resolved = false;
    void done.then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(resolved).toBe(false);
    finish('exit 0');
    await stopped;
    expect(server.of('ack').map((r) => r.body)).toEqual([{ leaseIds: ['lease-6'] }]);
  });

  it('on stop, replays a poll it cut short and nacks what that poll had leased', async () => {
    let polls = 0;
    const { server, worker } = await setup(
      {
        // The first poll waits; when the worker cuts it short, its replay (same pollId) answers a lease.
        poll: (req, res) => {
          polls += 1;
          if (polls === 1) return;
          json(res, 200, { jobs: req.body.waitMs === 0 ? [job(8)] : [] });
        },
      },
      async () => 'exit 0',
    );
    await waitFor(() => polls === 1, 10_000, 'the first poll');
    await worker.stop();
    const [first, replay] = server.of('poll');
    expect(replay!.body).toMatchObject({ pollId: first!.body.pollId, waitMs: 0 });
    expect(server.of('nack').map((r) => r.body)).toEqual([{ leaseIds: ['lease-8'], reason: 'the worker is shutting down' }]);
  });

  it('runs up to `concurrency` builds at once and polls only for free slots', async () => {
    let running = 0;
    let peak = 0;
    const { server } = await setup(
      { poll: pollFrom([1, 2, 3, 4, 5, 6].map((n) => job(n))) },
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 150));
        running -= 1;
      },
      { concurrency: 3 },
    );
    await waitFor(() => server.of('ack').length === 6, 10_000, 'six acks');
    expect(peak).toBe(3);
    for (const poll of server.of('poll')) expect(Number(poll.body.max)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...server.of('poll').map((p) => Number(p.body.max)))).toBe(3);
  });
});
