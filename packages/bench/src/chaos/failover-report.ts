import { textTable } from '../lib/table.js';
import type { Failover } from './failover.js';
import type { LedgerLine } from './ledger.js';

/**
 * What the brokers answered while one failover lasted: acks that went through and the longest
 * time without one (the whole broker stalled, or only the shard's queues), 503s by kind of
 * request, and failures with no answer.
 */
export interface FailoverFigures {
  acked: number;
  longestAckGapMs: number;
  posts503: number;
  acks503: number;
  polls503: number;
  stops503: number;
  /** no answer at all (a replica killed meanwhile, a timeout) */
  unanswered: number;
  /** any other 5xx (none expected: a refused write must be a 503) */
  other5xx: number;
}

/** After writes are back, failed requests of the failover still end (a timeout, a backoff): counted for this long. */
export const TAIL_MS = 2000;

/** The failures the ledger holds from the SIGKILL until `TAIL_MS` after writes went through again. */
export function failuresDuring(lines: LedgerLine[], failover: Failover): FailoverFigures {
  const end = failover.at + (failover.writesResumedAfterMs ?? failover.restartedAfterMs) + TAIL_MS;
  const out: FailoverFigures = {
    acked: 0,
    longestAckGapMs: 0,
    posts503: 0,
    acks503: 0,
    polls503: 0,
    stops503: 0,
    unanswered: 0,
    other5xx: 0,
  };
  const ackTimes = [failover.at, end];
  const kinds = {
    'post-failure': 'posts503',
    'ack-error': 'acks503',
    'poll-error': 'polls503',
    'stop-failure': 'stops503',
  } as const;
  for (const line of lines) {
    if (line.e === 'ack' && line.answer === 'acked' && line.t >= failover.at && line.t <= end) {
      out.acked++;
      ackTimes.push(line.t);
    }
    if (!(line.e in kinds) || !('error' in line) || line.t < failover.at || line.t > end) continue;
    // The producer writes `<status> <body>`, the worker SDK `<route> answered <status> <code>`.
    const status = /^(\d{3}) |answered (\d{3}) /.exec(line.error);
    const code = Number(status?.[1] ?? status?.[2] ?? 0);
    if (code === 503) out[kinds[line.e]]++;
    else if (code >= 500) out.other5xx++;
    else if (code === 0 && !/: aborted$/.test(line.error)) out.unanswered++;
  }
  ackTimes.sort((a, b) => a - b);
  for (let i = 1; i < ackTimes.length; i++) out.longestAckGapMs = Math.max(out.longestAckGapMs, ackTimes[i]! - ackTimes[i - 1]!);
  out.longestAckGapMs = Math.round(out.longestAckGapMs);
  return out;
}

const seconds = (ms: number | null) => (ms === null ? 'never (60 s)' : `${(ms / 1000).toFixed(1)} s`);

/** The failovers as a table, the 503s each caused, and why the run needs min-replicas-to-write 1 and WAIT 1. */
export function formatFailovers(
  failovers: Failover[],
  lines: LedgerLine[],
  run: { startedAt: number; connectionDrops: number },
): string {
  const rows = failovers.map((f) => {
    const x = failuresDuring(lines, f);
    return [
      `${f.killed} (slots ${f.slots}, ${f.keys} keys)`,
      `${((f.at - run.startedAt) / 1000).toFixed(1)} s, ${f.progress} acked`,
      f.promoted,
      `${seconds(f.promotedAfterMs)} / ${seconds(f.restartedAfterMs)} / ${seconds(f.writesResumedAfterMs)}`,
      `${x.acked}, longest gap ${seconds(x.longestAckGapMs)}`,
      `${x.posts503} / ${x.acks503} / ${x.polls503} / ${x.stops503}`,
      `${x.unanswered} / ${x.other5xx}`,
    ];
  });
  return [
    `Redis Cluster: 3 masters + 3 replicas, min-replicas-to-write 1, brokers with REDIS_WAIT_REPLICAS=1; ${failovers.length} master failover(s), ${run.connectionDrops} drop(s) of every client connection`,
    textTable(
      [
        'master SIGKILLed',
        'when',
        'promoted replica',
        'promoted / restarted / writes back (after the kill)',
        'acks answered meanwhile',
        '503s: posts / acks / polls / stops',
        'no answer / other 5xx',
      ],
      rows,
    ),
    '',
    'Why min-replicas-to-write 1 and WAIT 1: the nodes keep no data file, so a build is safe once it is',
    'on a replica. With WAIT 1 the broker answers a post, a lease, an ack or a stop only after the replica',
    'has the write, so a promotion cannot undo what a worker or Screwdriver was told. min-replicas-to-write 1',
    'makes a master with no replica in reach refuse writes (503 until its shard has a replica again), so a',
    'master cut off from the rest cannot take builds that the failover on the other side would drop.',
    'Without WAIT the broker answers as soon as the master has the write; here on loopback a run with',
    'REDIS_WAIT_REPLICAS=0 lost nothing (the stream the master had sent waits in the kernel for the',
    'held-back replica), but across a network a master that dies or is cut off before its stream leaves',
    'takes the last answered posts and acks with it: lost builds, builds run again after their ack.',
  ].join('\n');
}
