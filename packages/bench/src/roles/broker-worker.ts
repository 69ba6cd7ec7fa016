import { runRole } from '../lib/role.js';
import { ConsumeTracker, deferred } from '../lib/measure.js';
import { JsonClient } from '../lib/http.js';
import { pollQueue } from '../lib/queue-poll.js';
import { mintClusterToken } from '../lib/keys.js';
import type { AckResult } from '@buildcluster/protocol';
import type { BrokerWorkerConfig } from './broker-config.js';

// A cluster's workers: per cluster `pollersPerCluster` long-poll loops taking up to `max` builds;
// each batch is acked in one call (at the replica it was polled from) while the poller is already
// polling again.
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
  let errors = 0;
  let firstError = '';
  let finished = false;
  const ackBatch = async (client: JsonClient, cluster: string, leaseIds: string[]) => {
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
  // After the warm-up the pollers hold still until go, so a backlog queued beforehand stays queued.
  const started = deferred();
  let measuring = false;
  const poller = async (cluster: string, index: number, client: JsonClient) => {
    const token = tokens.get(cluster)!;
    const body = JSON.stringify({ workerId: `bench-${cluster}-${index}`, max: config.max, waitMs: config.waitMs });
    while (!finished) {
      if (!measuring && config.warmup > 0 && tracker.isWarmedUp) await started.promise;
      const answer = await pollQueue(client, cluster, body, token, () => finished);
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
        continue;
      }
      const jobs = answer.body.jobs;
      for (const job of jobs) {
        if (seen.has(job.buildId)) duplicates++;
        seen.add(job.buildId);
      }
      if (jobs.length > 0)
        void ackBatch(
          client,
          cluster,
          jobs.map((j) => j.leaseId),
        ).catch((err: Error) => tracker.fail(err));
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
    return tracker.meter.result({ duplicates, rejected, polls, emptyPolls, firstError });
  };
});
