import type { AckErrorLine, AckLine, DeliveryLine, LedgerLine, PostLine } from './ledger.js';

/**
 * The chaos run's verdict, computed from the ledger alone (plus the broker's own word on builds
 * whose ack answer no ledger holds). Definitions:
 *
 * - acked exactly once: among all ack answers for the build, exactly one distinct lease was
 *   answered `acked` (the same lease answered `acked` again on a retried ack is the same ack).
 * - lost: a build the producer posted successfully that no lease ever acked.
 * - delivered after ack: a delivery of the build received after an `acked` answer for it.
 * - FIFO of first deliveries, per cluster: the producer posts to each cluster one build at a time
 *   (the next post starts after the previous one was answered 200/201, retries of a failed post
 *   included), so `seq` is a total order of enqueueing. Each build's first delivery is its
 *   attempt-1 lease; its lease time is read from `leaseExpiresAt` (lease time + LEASE_MS, set by
 *   the broker). Taking builds in `seq` order, a first delivery leased strictly earlier (by a ms)
 *   than one of a build posted before it is an inversion; two builds in the same poll answer must
 *   also appear in `seq` order. A build whose attempt-1 delivery no ledger holds (the worker was
 *   killed before writing it) is left out of this check and counted.
 */
export interface Violation {
  kind:
    | 'acked-twice'
    | 'lost'
    | 'delivered-after-ack'
    | 'fifo-inversion'
    | 'phantom-delivery'
    | 'acked-without-answer'
    | 'foreign-delivery'
    | 'rules-overlap'
    | 'blocked-never-released'
    | 'never-stopped';
  count: number;
  examples: string[];
}

export interface ChaosFigures {
  builds: number;
  postsAnswered201: number;
  postsAnswered200: number;
  postRetries: number;
  postFailures: number;
  deliveries: number;
  redeliveries: number;
  replayedDeliveryLines: number;
  ackAnswers: Record<string, number>;
  ackErrors: number;
  ackedExactlyOnce: number;
  /**
   * acked at the broker (GET /v4/builds) though no worker got the answer: it died with a SIGKILLed
   * worker, or with a SIGKILLed replica while the cluster was deleted before a retry got through
   */
  ackedAnswerLost: number;
  fifoCheckedBuilds: number;
  fifoUncheckedBuilds: number;
  partialLines: number;
  maxAttempt: number;
  /** stop messages delivered to workers (Screwdriver stopped builds that ran) */
  stopJobs: number;
}

export interface VerifyInput {
  lines: LedgerLine[];
  partialLines: number;
  /** worker ids (process incarnations) that were SIGKILLed */
  killedWorkers: Set<string>;
  /** the broker's state of builds without an `acked` answer in the ledger */
  brokerStates: Map<number, string>;
  /** clusters outside the builds' organization: a delivery to one is handing a build to another tenant */
  foreignClusters?: Set<string>;
}

export interface Verdict {
  figures: ChaosFigures;
  violations: Violation[];
}

function bump(map: Map<string, Violation>, kind: Violation['kind'], example: string): void {
  const v = map.get(kind) ?? { kind, count: 0, examples: [] };
  v.count++;
  if (v.examples.length < 5) v.examples.push(example);
  map.set(kind, v);
}

/** Builds of the ledger with no `acked` answer: the ones to ask the broker about. */
export function buildsWithoutAckedAnswer(lines: LedgerLine[]): number[] {
  const acked = new Set<number>();
  const posted = new Set<number>();
  for (const line of lines) {
    if (line.e === 'post') posted.add(line.buildId);
    if (line.e === 'ack' && line.answer === 'acked' && line.type !== 'stop') acked.add(line.buildId);
  }
  return [...posted].filter((id) => !acked.has(id));
}

export function verifyLedger(input: VerifyInput): Verdict {
  const violations = new Map<string, Violation>();
  const posts = new Map<number, PostLine>();
  const deliveriesByBuild = new Map<number, DeliveryLine[]>();
  const acksByBuild = new Map<number, AckLine[]>();
  const leaseSeen = new Set<string>();
  const ackAnswers: Record<string, number> = {};
  let replayed = 0;
  let ackErrors = 0;
  const ackErrorsByLease = new Map<string, AckErrorLine[]>();
  let postFailures = 0;
  let maxAttempt = 0;
  let stopJobs = 0;

  for (const line of input.lines) {
    // Stop messages (Screwdriver stopped a build that ran) are a job of their own: counted, not checked here.
    if ((line.e === 'delivery' || line.e === 'ack') && line.type === 'stop') {
      if (line.e === 'delivery') stopJobs++;
      continue;
    }
    switch (line.e) {
      case 'post':
        posts.set(line.buildId, line);
        break;
      case 'post-failure':
        postFailures++;
        break;
      case 'delivery': {
        if (leaseSeen.has(line.leaseId)) replayed++;
        leaseSeen.add(line.leaseId);
        maxAttempt = Math.max(maxAttempt, line.attempt);
        const list = deliveriesByBuild.get(line.buildId) ?? [];
        list.push(line);
        deliveriesByBuild.set(line.buildId, list);
        break;
      }
      case 'ack': {
        ackAnswers[line.answer] = (ackAnswers[line.answer] ?? 0) + 1;
        const list = acksByBuild.get(line.buildId) ?? [];
        list.push(line);
        acksByBuild.set(line.buildId, list);
        break;
      }
      case 'ack-error': {
        ackErrors++;
        const list = ackErrorsByLease.get(line.leaseId) ?? [];
        list.push(line);
        ackErrorsByLease.set(line.leaseId, list);
        break;
      }
      case 'fault':
      case 'poll-error':
      case 'stop':
      case 'stop-failure':
        break;
    }
  }

  // Every delivered build was posted, and reached only clusters of its organization.
  for (const [buildId, list] of deliveriesByBuild) {
    if (!posts.has(buildId)) bump(violations, 'phantom-delivery', `build ${buildId} was delivered but never posted successfully`);
    for (const d of list) {
      if (input.foreignClusters?.has(d.cluster)) {
        bump(
          violations,
          'foreign-delivery',
          `build ${buildId} was delivered to ${d.cluster} (worker ${d.worker}), a cluster of another organization`,
        );
      }
    }
  }

  let ackedExactlyOnce = 0;
  let answerLost = 0;
  for (const [buildId, post] of posts) {
    const acked = (acksByBuild.get(buildId) ?? []).filter((a) => a.answer === 'acked');
    const ackedLeases = new Set(acked.map((a) => a.leaseId));
    const deliveries = deliveriesByBuild.get(buildId) ?? [];
    if (ackedLeases.size > 1) {
      bump(
        violations,
        'acked-twice',
        `build ${buildId} (${post.cluster}): leases ${[...ackedLeases].join(', ')} were all answered acked`,
      );
    } else if (ackedLeases.size === 1) {
      ackedExactlyOnce++;
      const firstAckAt = Math.min(...acked.map((a) => a.t));
      const late = deliveries.filter((d) => d.t > firstAckAt);
      for (const d of late) {
        bump(
          violations,
          'delivered-after-ack',
          `build ${buildId}: lease ${d.leaseId} (attempt ${d.attempt}) reached ${d.worker} ${Math.round(d.t - firstAckAt)} ms after the ack answer`,
        );
      }
    } else {
      const state = input.brokerStates.get(buildId);
      const lastDelivery = deliveries.at(-1);
      // The ack's answer was lost with the replica, and the churn deleted the cluster before a retry got through.
      const retries = lastDelivery ? (ackErrorsByLease.get(lastDelivery.leaseId) ?? []) : [];
      const clusterGone =
        retries.some((e) => e.error.includes('no answer from the broker')) &&
        (retries.at(-1)?.error.includes('CLUSTER_NOT_REGISTERED') ?? false);
      if (state === 'acked' && lastDelivery && (input.killedWorkers.has(lastDelivery.worker) || clusterGone)) answerLost++;
      else if (state === 'acked') {
        bump(
          violations,
          'acked-without-answer',
          `build ${buildId}: the broker says acked, but no ledger holds an acked answer and its last worker (${lastDelivery?.worker ?? 'none'}) was not killed`,
        );
      } else {
        bump(
          violations,
          'lost',
          `build ${buildId} (${post.cluster}, seq ${post.seq}): never acked; broker state ${state ?? 'unknown'}; ${deliveries.length} deliveries`,
        );
      }
    }
  }

  // FIFO of first deliveries per cluster.
  let fifoChecked = 0;
  let fifoUnchecked = 0;
  const byCluster = new Map<string, PostLine[]>();
  for (const post of posts.values()) {
    if (post.fifo === false) continue;
    const list = byCluster.get(post.cluster) ?? [];
    list.push(post);
    byCluster.set(post.cluster, list);
  }
  for (const [cluster, list] of byCluster) {
    list.sort((a, b) => a.seq - b.seq);
    let latest: { buildId: number; seq: number; leasedAt: number; answer: string; index: number } | null = null;
    for (const post of list) {
      const first = (deliveriesByBuild.get(post.buildId) ?? []).filter((d) => d.attempt === 1);
      if (first.length === 0) {
        fifoUnchecked++;
        continue;
      }
      fifoChecked++;
      const leasedAt = Math.min(...first.map((d) => Date.parse(d.leaseExpiresAt)));
      const d = first[0]!;
      const answer = `${d.worker}#${d.poll}`;
      if (latest) {
        const earlier = leasedAt < latest.leasedAt;
        const sameAnswerOutOfOrder = answer === latest.answer && d.index < latest.index;
        if (earlier || sameAnswerOutOfOrder) {
          bump(
            violations,
            'fifo-inversion',
            `${cluster}: build ${post.buildId} (seq ${post.seq}) was first leased ${earlier ? `${latest.leasedAt - leasedAt} ms before` : 'ahead of, in the same poll answer,'} build ${latest.buildId} (seq ${latest.seq})`,
          );
        }
      }
      if (!latest || leasedAt >= latest.leasedAt)
        latest = { buildId: post.buildId, seq: post.seq, leasedAt, answer, index: d.index };
    }
  }

  const postList = [...posts.values()];
  const deliveries = leaseSeen.size;
  const redeliveries = [...deliveriesByBuild.values()].reduce(
    (sum, list) => sum + new Set(list.filter((d) => d.attempt > 1).map((d) => d.leaseId)).size,
    0,
  );
  return {
    figures: {
      builds: posts.size,
      postsAnswered201: postList.filter((p) => p.status === 201).length,
      postsAnswered200: postList.filter((p) => p.status === 200).length,
      postRetries: postList.reduce((sum, p) => sum + p.tries - 1, 0),
      postFailures,
      deliveries,
      redeliveries,
      replayedDeliveryLines: replayed,
      ackAnswers,
      ackErrors,
      ackedExactlyOnce,
      ackedAnswerLost: answerLost,
      fifoCheckedBuilds: fifoChecked,
      fifoUncheckedBuilds: fifoUnchecked,
      partialLines: input.partialLines,
      maxAttempt,
      stopJobs,
    },
    violations: [...violations.values()],
  };
}
