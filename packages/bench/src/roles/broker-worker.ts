import { runRole } from '../lib/role.js';
import { ConsumeTracker, deferred } from '../lib/measure.js';
import { JsonClient } from '../lib/http.js';
import { pollQueue } from '../lib/queue-poll.js';
import { mintClusterToken } from '../lib/keys.js';
import type { AckResult } from '@buildcluster/protocol';
import type { BrokerWorkerConfig } from './broker-config.js';

// A cluster's workers: per cluster `pollersPerCluster` long-poll loops taking up to `max` builds.
// Each batch is acked by the poller's next poll (`acks: 'carried'`), or in one call of its own (at
// the replica it was polled from) while the poller is already polling again.
//
// A carried ack is confirmed by its poll's answer, which comes when builds arrive or at waitMs. So
// once every build of the warm-up, then of the run, has been handed out, the acks still waiting for
// a confirmation are sent again on their own (acking is idempotent), and those answers count:
// the run ends at the broker's confirmation of its last ack, not waitMs later.
runRole<BrokerWorkerConfig, unknown>(async (config) => {
  const pollers = config.clusters.length * config.pollersPerCluster;
  const perReplica = Math.ceil(pollers / config.baseUrls.length);
  const clients = config.baseUrls.map((url) => new JsonClient(url, { maxSockets: perReplica * 2 + 8 }));
  const tokens = new Map(config.clusters.map((c) => [c.name, mintClusterToken(c)]));
  const tracker = new ConsumeTracker(config.warmup, config.jobs);
  const seen = new Set<number>();
  let duplicates = 0;
  let rejected = 0;
  let polls = 0;
  let emptyPolls = 0;
  let acksAlone = 0;
  let errors = 0;
  let firstError = '';
  let finished = false;
  const ackBatch = async (client: JsonClient, cluster: string, leaseIds: string[]) => {
    acksAlone++;
    const answer = await client.request<AckResult>('POST', `/v4/queues/${cluster}/ack`, {
      body: { leaseIds },
      token: tokens.get(cluster)!,
    });
    if (answer.status !== 200) {
      errors++;
      firstError ||= `ack ${answer.status} ${answer.text.slice(0, 300)}`;
      return;
    }
    rejected += answer.body.rejected.length;
    tracker.consumed(answer.body.acked.length);
  };
  /** Acks sent with a poll still waiting for its answer; `resent` once sent again on their own. */
  interface Carried {
    client: JsonClient;
    cluster: string;
    leaseIds: string[];
    resent: boolean;
  }
  const unconfirmed = new Set<Carried>();
  const boundaries = [config.warmup, config.warmup + config.jobs].filter((n) => n > 0);
  const ackApart = (client: JsonClient, cluster: string, leaseIds: string[]) =>
    void ackBatch(client, cluster, leaseIds).catch((err: Error) => tracker.fail(err));
  /** True when these were the last builds of the warm-up or the run: their acks should not wait either. */
  const crossedBoundary = (): boolean => {
    if (boundaries.length === 0 || seen.size < boundaries[0]!) return false;
    while (boundaries.length > 0 && seen.size >= boundaries[0]!) boundaries.shift();
    for (const carried of unconfirmed) {
      if (carried.resent) continue;
      carried.resent = true;
      ackApart(carried.client, carried.cluster, carried.leaseIds);
    }
    return true;
  };
  // After the warm-up the pollers hold still until go, so a backlog queued beforehand stays queued.
  const started = deferred();
  let measuring = false;
  const poller = async (cluster: string, index: number, client: JsonClient) => {
    const token = tokens.get(cluster)!;
    const poll = { workerId: `bench-${cluster}-${index}`, max: config.max, waitMs: config.waitMs };
    const body = JSON.stringify(poll);
    // Leases of the last batch whose acks ride the next poll (again after a failed one).
    let toAck: string[] = [];
    while (!finished) {
      if (!measuring && config.warmup > 0 && tracker.isWarmedUp) await started.promise;
      const carried: Carried | null = toAck.length > 0 ? { client, cluster, leaseIds: toAck, resent: false } : null;
      if (carried) unconfirmed.add(carried);
      toAck = [];
      const answer = await pollQueue(
        client,
        cluster,
        carried ? JSON.stringify({ ...poll, ack: carried.leaseIds }) : body,
        token,
        () => finished,
      );
      if (carried) unconfirmed.delete(carried);
      if (answer === null) return;
      polls++;
      if (answer.status === 204) {
        emptyPolls++;
        continue;
      }
      if (answer.status !== 200) {
        errors++;
        firstError ||= `poll ${answer.status} ${answer.text.slice(0, 300)}`;
        if (errors > 100) throw new Error(`too many errors; first: ${firstError}`);
        if (carried && !carried.resent) toAck = carried.leaseIds;
        continue;
      }
      const { jobs, acked, rejected: refused } = answer.body;
      if (carried && !carried.resent) {
        if (!acked || !refused) throw new Error('a poll carrying acks was answered without their outcome');
        rejected += refused.length;
        tracker.consumed(acked.length);
      }
      if (jobs.length === 0) {
        emptyPolls++;
        continue;
      }
      for (const job of jobs) {
        if (seen.has(job.buildId)) duplicates++;
        seen.add(job.buildId);
      }
      const leaseIds = jobs.map((j) => j.leaseId);
      if (config.acks === 'carried' && !crossedBoundary()) toAck = leaseIds;
      else ackApart(client, cluster, leaseIds);
    }
  };
  const loops = config.clusters.flatMap((c, ci) =>
    Array.from({ length: config.pollersPerCluster }, (_, i) => {
      const k = ci * config.pollersPerCluster + i;
      return poller(c.name, i, clients[k % clients.length]!);
    }),
  );
  for (const loop of loops) loop.catch((err: Error) => tracker.fail(err));
  await tracker.warmedUp.promise;
  return async () => {
    measuring = true;
    started.resolve();
    tracker.go();
    await tracker.finished.promise;
    finished = true;
    // Pollers still waiting at the broker are cut off: the run is over.
    for (const client of clients) client.close();
    tracker.meter.errors = errors;
    return tracker.meter.result({ duplicates, rejected, polls, emptyPolls, acksAlone, firstError });
  };
});
