import { describe, expect, it } from 'vitest';
import type { LedgerLine } from './ledger.js';
import { blockEachOther, rulesJobOf, rulesMessage } from './rules-flow.js';
import { verifyRules } from './rules-verify.js';

/** The rules' checks of the chaos verdict, on ledgers written by hand. */
const post = (buildId: number, state: 'queued' | 'blocked'): LedgerLine => ({
  e: 'post',
  buildId,
  cluster: 'rules',
  seq: buildId,
  status: 201,
  state,
  tries: 1,
  firstSentAt: 0,
  answeredAt: 1,
  fifo: false,
});
const delivered = (buildId: number, t: number, type: 'start' | 'stop' = 'start'): LedgerLine => ({
  e: 'delivery',
  worker: 'w5-0',
  cluster: 'rules',
  buildId,
  attempt: 1,
  leaseId: `${buildId}:${type}`,
  leaseExpiresAt: new Date(t + 2000).toISOString(),
  poll: 1,
  index: 0,
  t,
  type,
});
const acked = (buildId: number, t: number): LedgerLine => ({
  e: 'ack',
  worker: 'w5-0',
  cluster: 'rules',
  buildId,
  leaseId: `${buildId}:start`,
  answer: 'acked',
  t,
  type: 'start',
});
const stopped = (buildId: number, sentAt: number, killedReplica?: number): LedgerLine => ({
  e: 'stop',
  buildId,
  jobId: rulesJobOf(buildId),
  sentAt,
  answeredAt: sentAt + 5,
  status: 200,
  tries: killedReplica === undefined ? 1 : 2,
  ...(killedReplica === undefined ? {} : { killedReplica }),
});
const isRules = () => true;
/** A build's whole life: posted, delivered at `from`, acked, stopped at `to`. */
const life = (buildId: number, state: 'queued' | 'blocked', from: number, to: number): LedgerLine[] => [
  post(buildId, state),
  delivered(buildId, from),
  acked(buildId, from + 10),
  stopped(buildId, to),
];

describe('the chaos rules check', () => {
  it('pairs jobs: a job blocks itself and its partner, no other', () => {
    const job = rulesJobOf(8);
    expect(blockEachOther(job, job)).toBe(true);
    expect(blockEachOther(rulesJobOf(8), rulesJobOf(9))).toBe(true);
    expect(blockEachOther(rulesJobOf(8), rulesJobOf(10))).toBe(false);
    expect(rulesMessage(8, 'rules')).toMatchObject({ jobId: job, blockedBy: [job, rulesJobOf(9)] });
  });

  it('passes runs of blocking jobs one after the other, and runs of other jobs side by side', () => {
    // 8 and 9 block each other (partners); 10 runs beside them; 12 is 8's job again, after 9.
    const lines = [
      ...life(8, 'queued', 100, 200),
      ...life(9, 'blocked', 210, 300),
      ...life(10, 'queued', 150, 250),
      ...life(12, 'blocked', 305, 400),
    ];
    lines.push(delivered(8, 205, 'stop'));
    const { figures, violations } = verifyRules(lines, isRules);
    expect(violations).toEqual([]);
    expect(figures).toMatchObject({ builds: 4, answeredBlocked: 2, stopped: 4, runsChecked: 4, runsUnchecked: 0 });
    // 8-9, 8-12, 9-12 block each other; 10 blocks none of them.
    expect(figures.pairsCompared).toBe(3);
  });

  it('finds two builds that block each other running at once', () => {
    const lines = [...life(8, 'queued', 100, 300), ...life(9, 'queued', 250, 400)];
    const { violations } = verifyRules(lines, isRules);
    expect(violations).toEqual([
      {
        kind: 'rules-overlap',
        count: 1,
        examples: [expect.stringContaining('build 9') as unknown],
      },
    ]);
    expect(violations[0]!.examples[0]).toContain('50 ms before build 8');
  });

  it('finds a blocked build never released, and a build that ran and was never stopped', () => {
    const lines = [...life(8, 'queued', 100, 300), post(9, 'blocked'), post(10, 'queued'), delivered(10, 120), acked(10, 130)];
    const kinds = verifyRules(lines, isRules).violations.map((v) => [v.kind, v.count]);
    expect(kinds).toEqual([
      ['blocked-never-released', 1],
      ['never-stopped', 1],
    ]);
  });

  it('counts kills right after a stop and runs whose delivery line a kill cut', () => {
    const lines = [
      ...life(8, 'queued', 100, 200).slice(0, 3),
      stopped(8, 200, 1),
      post(9, 'blocked'),
      acked(9, 260),
      stopped(9, 300),
    ];
    const { figures, violations } = verifyRules(lines, isRules);
    expect(violations).toEqual([]);
    expect(figures).toMatchObject({ killsDuringRelease: 1, runsChecked: 1, runsUnchecked: 1 });
  });
});
