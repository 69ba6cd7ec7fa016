import { describe, expect, it } from 'vitest';
import type { PairResult } from '../scenarios/pair.js';
import type { PostsResult } from '../scenarios/floor.js';
import type { IdleFigures } from '../scenarios/broker-idle.js';
import { idlePlan } from '../scenarios/broker-idle.js';
import type { BenchResults } from './results.js';
import { formatReport, medianRedisPerBuild, reportRows } from './report.js';

const role = { count: 1000, firstAt: 0, lastAt: 1000, cpuSeconds: 0.5, errors: 0 };
const redis = (commands: number, cpuSeconds: number) => [
  { address: '127.0.0.1:6379', shard: '127.0.0.1:6379', replica: false, commands, cpuSeconds },
];

/** An end-to-end run of 1,000 builds at `perSecond`, with its Redis deltas over the window. */
function pair(perSecond: number, commands: number, cpuSeconds: number): PairResult {
  return {
    jobs: 1000,
    seconds: 1000 / perSecond,
    perSecond,
    producer: role,
    consumer: role,
    monotonicUs: { from: 0, to: 1 },
    cpu: { producer: 50, consumer: 50, redis: 20 },
    redisNodes: redis(commands, cpuSeconds),
    redisPerBuild: { commands: commands / 1000, cpuUs: Math.round((cpuSeconds * 1e6) / 1000) },
  };
}

function posts(perSecond: number, withRedis: boolean): PostsResult {
  return {
    jobs: 1000,
    seconds: 1000 / perSecond,
    perSecond,
    producer: role,
    monotonicUs: { from: 0, to: 1 },
    cpu: { producer: 40, server: 90 },
    redisNodes: withRedis ? redis(40_000, 0.12) : [],
    redisPerBuild: withRedis ? { commands: 40, cpuUs: 120 } : null,
  };
}

const idle: IdleFigures = {
  polls: 19_000,
  requestedPolls: null,
  brokerOpenFilesLimit: 20_000,
  clientProcesses: 1,
  sourceAddresses: 1,
  parked: 19_000,
  secondsToPark: 12,
  clusters: 100,
  rssIdleMb: 150,
  rssParkedMb: 300,
  rssPerPollKb: 8,
  rssAtTargetMb: 931.3,
  redisConnectionsIdle: 2,
  redisConnectionsParked: 2,
  redisClientNames: ['broker-commands', 'broker-subscriber'],
  brokerWaitingPolls: 19_000,
  wake: { builds: 500, polls: 20, fewestWaiting: 19, p50: 1.1, p99: 12.5, max: 20, postP50: 4, postP99: 9 },
  errors: 0,
  firstError: '',
};

function results(): BenchResults {
  return {
    startedAt: '2026-12-02T00:00:00.000Z',
    environment: {},
    options: {} as BenchResults['options'],
    payloadBytes: 1998,
    peers: { bullmq: [pair(2000, 33_000, 0.16), pair(1000, 35_000, 0.2), pair(2000, 31_000, 0.14)] },
    broker: { '1': [pair(1000, 68_000, 0.26), pair(1000, 70_000, 0.3), pair(1000, 66_000, 0.24)] },
    // Rounds: 0.8, 0.6 and 0.75 of the floor; the median is 0.75.
    floor: [posts(1000, false), posts(1000, false), posts(800, false)],
    brokerPostsAlone: [posts(800, true), posts(600, true), posts(600, true)],
    idle,
    errors: [],
  };
}

const row = (rows: string[][], start: string) => rows.find((r) => r[0]!.startsWith(start));

describe('reportRows', () => {
  it('gives the payload once, and Redis commands and CPU a build as medians over rounds', () => {
    const rows = reportRows(results());
    expect(row(rows, 'payload')?.[1]).toContain('1,998 bytes');
    expect(row(rows, 'broker end to end, 1 cluster')?.[1]).toContain('Redis a build: 68 commands, 260 µs CPU');
    expect(row(rows, 'BullMQ')?.[1]).toContain('Redis a build: 33 commands, 160 µs CPU');
    expect(row(rows, 'broker, posting alone')?.[1]).toContain('Redis a build: 40 commands, 120 µs CPU');
    // The floor has no Redis behind it.
    expect(row(rows, 'floor')?.[1]).not.toContain('Redis');
  });

  it('takes the broker ÷ floor ratio per round, and its verdict against 0.7×', () => {
    const rows = reportRows(results());
    expect(row(rows, 'broker posting alone ÷ floor')?.slice(1)).toEqual(['0.75× (rounds 0.6–0.8×)', '≥ 0.7×', 'met']);
    const slow = results();
    slow.brokerPostsAlone = [posts(500, true), posts(600, true), posts(400, true)];
    expect(row(reportRows(slow), 'broker posting alone ÷ floor')?.[3]).toBe('MISSED');
    expect(row(rows, 'broker (1 cluster) ÷ bullmq')?.[1]).toBe('0.5× (rounds 0.5–1×)');
  });

  it('shows the durable floor with its Redis work, and the broker ÷ it as information', () => {
    const withDurable = results();
    // Rounds: 0.8, 0.75 and 1 of the durable floor; the median is 0.8.
    withDurable.durableFloor = [posts(1000, true), posts(800, true), posts(600, true)];
    const rows = reportRows(withDurable);
    expect(row(rows, 'durable floor')?.[1]).toContain('Redis a build: 40 commands, 120 µs CPU');
    expect(row(rows, 'broker posting alone ÷ durable floor')?.slice(1)).toEqual([
      '0.8× (rounds 0.75–1×)',
      'what the broker adds (info)',
      'info',
    ]);
    // Without the durable runs, neither row is printed.
    expect(row(reportRows(results()), 'durable floor')).toBeUndefined();
  });

  it('extrapolates the 100,000-poll RSS, says so, and judges the wake p99', () => {
    const rows = reportRows(results());
    const extrapolated = row(rows, '100,000 waiting polls');
    expect(extrapolated?.[0]).toContain('extrapolated from 19,000 measured');
    expect(extrapolated?.slice(2)).toEqual(['≤ 1 GB', 'met']);
    expect(row(rows, 'wake with 19,000 parked')?.slice(1)).toEqual([
      'p50 1.1 ms, p99 12.5 ms, max 20 ms',
      'p99 ≤ 10 ms',
      'MISSED',
    ]);
    expect(row(rows, "19,000 waiting polls: broker's Redis connections")?.[3]).toBe('met');
    expect(formatReport(results()).markdown).toContain('| wake with 19,000 parked');
  });

  it('works out Redis a build from the deltas of files saved before the per-build figure', () => {
    const old = { ...pair(1000, 50_000, 0.1), redisPerBuild: undefined };
    expect(medianRedisPerBuild([old])).toEqual({ commands: 50, cpuUs: 100 });
  });
});

describe('idlePlan', () => {
  it('takes the broker limit less headroom by default, clamps --polls, and splits clients and addresses', () => {
    expect(idlePlan(null, { broker: 20_000, client: 20_000, ports: 28_232 })).toMatchObject({
      polls: 19_000,
      clamped: false,
      clients: 1,
      addresses: 1,
    });
    expect(idlePlan(100_000, { broker: 120_000, client: 20_000, ports: 28_232 })).toMatchObject({
      polls: 100_000,
      clients: 6,
      addresses: 4,
    });
    expect(idlePlan(50_000, { broker: 20_000, client: 20_000, ports: 28_232 })).toMatchObject({ polls: 19_000, clamped: true });
  });
});
