import { describe, expect, it } from 'vitest';
import type { AckLine, DeliveryLine, LedgerLine, PostLine } from './ledger.js';
import { buildsWithoutAckedAnswer, verifyLedger, type VerifyInput } from './verify.js';

const LEASE_MS = 2000;
const post = (buildId: number, seq: number, cluster = 'c000'): PostLine => ({
  e: 'post',
  buildId,
  cluster,
  seq,
  status: 201,
  state: 'queued',
  tries: 1,
  firstSentAt: 1000 + seq,
  answeredAt: 1001 + seq,
});
const delivery = (buildId: number, leasedAt: number, over: Partial<DeliveryLine> = {}): DeliveryLine => ({
  e: 'delivery',
  worker: 'w0-0',
  cluster: 'c000',
  buildId,
  attempt: 1,
  leaseId: `L${buildId}-${over.attempt ?? 1}`,
  leaseExpiresAt: new Date(leasedAt + LEASE_MS).toISOString(),
  poll: leasedAt,
  index: 0,
  t: leasedAt + 1,
  ...over,
});
const ack = (buildId: number, t: number, over: Partial<AckLine> = {}): AckLine => ({
  e: 'ack',
  worker: 'w0-0',
  cluster: 'c000',
  buildId,
  leaseId: `L${buildId}-1`,
  answer: 'acked',
  t,
  ...over,
});
const input = (lines: LedgerLine[], over: Partial<VerifyInput> = {}): VerifyInput => ({
  lines,
  partialLines: 0,
  killedWorkers: new Set(),
  brokerStates: new Map(),
  ...over,
});

/** Three builds posted, delivered in order and acked once each. */
function cleanRun(): LedgerLine[] {
  return [
    post(1, 0),
    post(2, 1),
    post(3, 2),
    delivery(1, 10_000),
    delivery(2, 10_001),
    delivery(3, 10_002),
    ack(1, 10_005),
    ack(2, 10_006),
    ack(3, 10_007),
  ];
}

describe('chaos ledger verdict', () => {
  it('finds nothing wrong in a clean run', () => {
    const verdict = verifyLedger(input(cleanRun()));
    expect(verdict.violations).toEqual([]);
    expect(verdict.figures).toMatchObject({ builds: 3, ackedExactlyOnce: 3, deliveries: 3, fifoCheckedBuilds: 3 });
  });

  it('accepts a redelivery after a lost lease and a retried ack of the same lease', () => {
    const lines = [
      ...cleanRun().filter((l) => !(l.e === 'ack' && l.buildId === 2)),
      ack(2, 12_000, { answer: 'lease_lost' }),
      delivery(2, 12_100, { attempt: 2, worker: 'w1-0' }),
      ack(2, 12_200, { leaseId: 'L2-2', worker: 'w1-0' }),
      ack(2, 12_300, { leaseId: 'L2-2', worker: 'w1-0' }),
    ];
    const verdict = verifyLedger(input(lines));
    expect(verdict.violations).toEqual([]);
    expect(verdict.figures.redeliveries).toBe(1);
  });

  it('reports a build acked under two different leases', () => {
    const lines = [...cleanRun(), delivery(3, 10_003, { attempt: 2, leaseId: 'L3-2' }), ack(3, 10_004, { leaseId: 'L3-2' })];
    const verdict = verifyLedger(input(lines));
    expect(verdict.violations.map((v) => v.kind)).toContain('acked-twice');
  });

  it('reports a posted build nobody acked as lost, unless the broker acked it for a killed worker', () => {
    const lines = cleanRun().filter((l) => !(l.e === 'ack' && l.buildId === 3));
    expect(buildsWithoutAckedAnswer(lines)).toEqual([3]);
    const lost = verifyLedger(input(lines, { brokerStates: new Map([[3, 'queued']]) }));
    expect(lost.violations).toMatchObject([{ kind: 'lost', count: 1 }]);
    const answerLost = verifyLedger(input(lines, { brokerStates: new Map([[3, 'acked']]), killedWorkers: new Set(['w0-0']) }));
    expect(answerLost.violations).toEqual([]);
    expect(answerLost.figures.ackedAnswerLost).toBe(1);
    const unexplained = verifyLedger(input(lines, { brokerStates: new Map([[3, 'acked']]) }));
    expect(unexplained.violations.map((v) => v.kind)).toEqual(['acked-without-answer']);
  });

  it('accepts an acked build whose ack answer died with a replica when its cluster was deleted before a retry got through', () => {
    const lines = cleanRun().filter((l) => !(l.e === 'ack' && l.buildId === 3));
    const leaseId = (lines.find((l) => l.e === 'delivery' && l.buildId === 3) as DeliveryLine).leaseId;
    const retried = (error: string, t: number): LedgerLine => ({
      e: 'ack-error',
      worker: 'w0-0',
      cluster: 'c000',
      buildId: 3,
      leaseId,
      error,
      t,
    });
    const gone = [
      retried('POST /v4/queues/c000/ack: no answer from the broker (UND_ERR_SOCKET: other side closed)', 900),
      retried('POST /v4/queues/c000/ack answered 403 CLUSTER_NOT_REGISTERED: cluster c000 is not registered', 950),
    ];
    const accepted = verifyLedger(input([...lines, ...gone], { brokerStates: new Map([[3, 'acked']]) }));
    expect(accepted.violations).toEqual([]);
    expect(accepted.figures.ackedAnswerLost).toBe(1);
    // A cluster deleted while nothing was lost on the way explains nothing.
    const refusedOnly = verifyLedger(input([...lines, gone[1]!], { brokerStates: new Map([[3, 'acked']]) }));
    expect(refusedOnly.violations.map((v) => v.kind)).toEqual(['acked-without-answer']);
  });

  it('reports a delivery that arrives after the build was acked', () => {
    const lines = [...cleanRun(), delivery(1, 10_010, { attempt: 2, leaseId: 'L1-2', worker: 'w1-0' })];
    expect(verifyLedger(input(lines)).violations.map((v) => v.kind)).toEqual(['delivered-after-ack']);
  });

  it('reports first deliveries out of post order, and skips builds whose first delivery was never written', () => {
    const inverted = [post(1, 0), post(2, 1), delivery(2, 10_000), delivery(1, 10_005), ack(1, 10_010), ack(2, 10_011)];
    expect(verifyLedger(input(inverted)).violations).toMatchObject([{ kind: 'fifo-inversion', count: 1 }]);

    const sameAnswer = [
      post(1, 0),
      post(2, 1),
      delivery(1, 10_000, { poll: 7, index: 1 }),
      delivery(2, 10_000, { poll: 7, index: 0 }),
      ack(1, 10_010),
      ack(2, 10_011),
    ];
    expect(verifyLedger(input(sameAnswer)).violations).toMatchObject([{ kind: 'fifo-inversion' }]);

    // Build 1's attempt-1 lease died with its worker: its attempt-2 delivery is later but not an inversion.
    const retried = [
      post(1, 0),
      post(2, 1),
      delivery(2, 10_000),
      delivery(1, 13_000, { attempt: 2 }),
      ack(1, 13_010, { leaseId: 'L1-2' }),
      ack(2, 10_011),
    ];
    const verdict = verifyLedger(input(retried));
    expect(verdict.violations).toEqual([]);
    expect(verdict.figures).toMatchObject({ fifoCheckedBuilds: 1, fifoUncheckedBuilds: 1 });
  });

  it('orders clusters independently', () => {
    const lines = [
      post(1, 0, 'c000'),
      post(2, 0, 'c001'),
      delivery(2, 10_000, { cluster: 'c001' }),
      delivery(1, 10_005),
      ack(1, 10_010),
      ack(2, 10_011, { cluster: 'c001' }),
    ];
    expect(verifyLedger(input(lines)).violations).toEqual([]);
  });

  it('reports a delivery of a build that was never posted', () => {
    const lines = [...cleanRun(), delivery(99, 10_000)];
    expect(verifyLedger(input(lines)).violations.map((v) => v.kind)).toEqual(['phantom-delivery']);
  });

  it('flags a delivery to a cluster of another organization, and leaves builds spread over clusters out of FIFO', () => {
    const lines: LedgerLine[] = [
      post(1, 0),
      { ...post(2, 0, 'churn'), fifo: false },
      { ...post(3, 1, 'churn'), fifo: false },
      delivery(1, 100, { cluster: 'intruder', worker: 'intruder0-0' }),
      ack(1, 110, { cluster: 'intruder', worker: 'intruder0-0' }),
      // churn builds on two clusters: 3 before 2 is no inversion
      delivery(3, 200, { cluster: 'churn-1', worker: 'churn1-0-0' }),
      delivery(2, 300, { cluster: 'churn-0', worker: 'churn0-0-0' }),
      ack(2, 310, { cluster: 'churn-0', worker: 'churn0-0-0' }),
      ack(3, 210, { cluster: 'churn-1', worker: 'churn1-0-0' }),
    ];
    const verdict = verifyLedger(input(lines, { foreignClusters: new Set(['intruder']) }));
    expect(verdict.violations.map((v) => [v.kind, v.count])).toEqual([['foreign-delivery', 1]]);
    expect(verdict.violations[0]!.examples[0]).toContain('build 1 was delivered to intruder');
    expect(verdict.figures.fifoCheckedBuilds).toBe(1);
  });
});
