import { textTable } from '../lib/table.js';
import type { Verdict } from './verify.js';
import type { RulesFigures } from './rules-verify.js';
import type { Failover } from './failover.js';

export interface ChaosEvents {
  workerKills: number;
  replicaKills: number;
  redisRestarts: number;
  unexpectedWorkerExits: string[];
  /** churn clusters registered and deleted while builds flowed, and the DELETEs refused meanwhile */
  churn?: { generations: number; deletions: number; refusedDeletes: number };
  seconds: number;
  timeline: string[];
  /** --redis-cluster: the drops of every connection, the failovers */
  redisCluster?: { connectionDrops: number; failovers: Failover[] };
}

/** The ledger's figures as a two-column table, then the violations (if any). */
export function formatVerdict(verdict: Verdict, events: ChaosEvents, rules?: RulesFigures): string {
  const f = verdict.figures;
  const rows: string[][] = [
    ['builds posted (201 + 200 on a retry)', `${f.builds} (${f.postsAnswered201} + ${f.postsAnswered200})`],
    ['post attempts that failed and were retried', String(f.postFailures)],
    ['deliveries (distinct leases)', String(f.deliveries)],
    ['  of which redeliveries (attempt > 1)', String(f.redeliveries)],
    ['  highest attempt seen', String(f.maxAttempt)],
    ['  poll answers replayed (same lease again)', String(f.replayedDeliveryLines)],
    [
      'ack answers',
      Object.entries(f.ackAnswers)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none',
    ],
    ['acks without an answer (retried by the SDK)', String(f.ackErrors)],
    ['builds acked exactly once', `${f.ackedExactlyOnce + f.ackedAnswerLost} of ${f.builds}`],
    ['  acked, answer lost (a killed worker, or a killed replica and a deleted cluster)', String(f.ackedAnswerLost)],
    ['FIFO: first deliveries checked / not in the ledger', `${f.fifoCheckedBuilds} / ${f.fifoUncheckedBuilds}`],
    ['ledger lines cut by a kill', String(f.partialLines)],
    events.redisCluster
      ? [
          'faults: workers SIGKILLed / replica SIGKILLs / Redis connection drops / master failovers',
          `${events.workerKills} / ${events.replicaKills} / ${events.redisCluster.connectionDrops} / ${events.redisCluster.failovers.length}`,
        ]
      : [
          'faults: workers SIGKILLed / replica SIGKILLs / Redis restarts',
          `${events.workerKills} / ${events.replicaKills} / ${events.redisRestarts}`,
        ],
    ['workers that exited by themselves', String(events.unexpectedWorkerExits.length)],
    ...(events.churn
      ? [
          [
            'churn clusters registered / deleted (DELETEs refused 409 meanwhile)',
            `${events.churn.generations} / ${events.churn.deletions} (${events.churn.refusedDeletes})`,
          ],
        ]
      : []),
    ['stop messages delivered (Screwdriver stopped builds that ran)', String(f.stopJobs)],
    ...(rules
      ? [
          ['rules builds (blockedBy in pairs of jobs) / answered blocked', `${rules.builds} / ${rules.answeredBlocked}`],
          ['  stopped by the client / stop attempts retried', `${rules.stopped} / ${rules.stopFailures}`],
          ['  replica SIGKILLed right after a stop', String(rules.killsDuringRelease)],
          [
            '  runs checked / without a delivery line; pairs that block each other',
            `${rules.runsChecked} / ${rules.runsUnchecked}; ${rules.pairsCompared}`,
          ],
        ]
      : []),
    ['run time', `${events.seconds} s`],
  ];
  const out = [textTable(['ledger', 'figure'], rows)];
  const checks = [
    'acked-twice',
    'lost',
    'delivered-after-ack',
    'fifo-inversion',
    'phantom-delivery',
    'acked-without-answer',
    'foreign-delivery',
    'rules-overlap',
    'blocked-never-released',
    'never-stopped',
  ] as const;
  out.push('');
  out.push(
    textTable(
      ['check', 'violations'],
      checks.map((kind) => [kind, String(verdict.violations.find((v) => v.kind === kind)?.count ?? 0)]),
    ),
  );
  for (const v of verdict.violations) {
    out.push('', `VIOLATION ${v.kind} ×${v.count}:`, ...v.examples.map((e) => `  - ${e}`));
  }
  if (events.unexpectedWorkerExits.length > 0)
    out.push('', 'workers that exited by themselves:', ...events.unexpectedWorkerExits.map((e) => `  - ${e}`));
  return out.join('\n');
}
