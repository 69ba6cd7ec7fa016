import { describe, expect, it } from 'vitest';
import type { Failover } from './failover.js';
import { failuresDuring } from './failover-report.js';
import { FAULT_SCHEDULE, faultSchedule } from './faults.js';
import type { LedgerLine } from './ledger.js';

const failover: Failover = {
  killed: '127.0.0.1:47300',
  promoted: '127.0.0.1:47304',
  slots: '0-5460',
  keys: 10,
  at: 10_000,
  progress: 100,
  replicaLagMs: 500,
  promotedAfterMs: 3000,
  restartedAfterMs: 8000,
  writesResumedAfterMs: 9000,
};
const worker = { worker: 'w0-0', cluster: 'c000' };

describe('failuresDuring', () => {
  it('counts the 503s of each kind from the kill until 2 s after writes resumed', () => {
    const lines: LedgerLine[] = [
      { e: 'post-failure', buildId: 1, cluster: 'c000', replica: 0, error: '503 {"code":"UNAVAILABLE"}', t: 9_999 },
      { e: 'post-failure', buildId: 1, cluster: 'c000', replica: 1, error: '503 {"code":"UNAVAILABLE"}', t: 10_500 },
      { e: 'ack-error', ...worker, buildId: 2, leaseId: 'L2', error: 'POST /v1/ack answered 503 UNAVAILABLE: x', t: 12_000 },
      { e: 'poll-error', ...worker, error: 'POST /v1/poll answered 503 UNAVAILABLE: x', t: 18_000 },
      { e: 'poll-error', ...worker, error: 'POST /v1/poll: aborted', t: 18_500 },
      { e: 'poll-error', ...worker, error: 'POST /v1/poll answered 403 CLUSTER_NOT_REGISTERED: x', t: 18_600 },
      { e: 'stop-failure', buildId: 3, replica: 0, error: 'ECONNREFUSED', t: 19_000 },
      { e: 'post-failure', buildId: 4, cluster: 'c000', replica: 0, error: '500 {"code":"INTERNAL"}', t: 20_000 },
      { e: 'post-failure', buildId: 5, cluster: 'c000', replica: 0, error: '503 late', t: 21_001 },
      { e: 'ack', ...worker, buildId: 6, leaseId: 'L6', answer: 'acked', t: 9_000 },
      { e: 'ack', ...worker, buildId: 7, leaseId: 'L7', answer: 'acked', t: 11_000 },
      { e: 'ack', ...worker, buildId: 8, leaseId: 'L8', answer: 'lease_lost', t: 12_000 },
      { e: 'ack', ...worker, buildId: 9, leaseId: 'L9', answer: 'acked', t: 19_500 },
    ];
    expect(failuresDuring(lines, failover)).toEqual({
      acked: 2,
      longestAckGapMs: 8_500,
      posts503: 1,
      acks503: 1,
      polls503: 1,
      stops503: 0,
      unanswered: 1,
      other5xx: 1,
    });
  });

  it('ends the window at the restart when writes never came back', () => {
    const lines: LedgerLine[] = [
      { e: 'poll-error', ...worker, error: 'POST /v1/poll answered 503 UNAVAILABLE: x', t: 19_900 },
      { e: 'poll-error', ...worker, error: 'POST /v1/poll answered 503 UNAVAILABLE: x', t: 20_100 },
    ];
    expect(failuresDuring(lines, { ...failover, writesResumedAfterMs: null }).polls503).toBe(1);
  });
});

describe('faultSchedule', () => {
  it('leaves the one-Redis schedule as it was', () => {
    expect(faultSchedule({ redisCluster: false, masterKills: 2 })).toEqual(FAULT_SCHEDULE);
  });

  it('on a cluster, drops connections instead of restarting Redis and adds the master kills apart from the others', () => {
    const schedule = faultSchedule({ redisCluster: true, masterKills: 2 });
    expect(schedule.map((f) => f.what)).toEqual([
      'kill-replica-0',
      'kill-master',
      'kill-replica-1',
      'drop-redis-connections',
      'kill-master',
      'kill-replica-0',
      'kill-replica-1',
    ]);
    const points = schedule.map((f) => f.at);
    expect(new Set(points).size).toBe(points.length);
  });
});
