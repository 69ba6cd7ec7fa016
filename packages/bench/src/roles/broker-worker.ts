import { runRole } from '../lib/role.js';
import { Meter, deferred } from '../lib/measure.js';
import { JsonClient } from '../lib/http.js';
import { mintClusterToken } from '../lib/keys.js';
import type { PollResult, AckResult } from '@buildcluster/protocol';
import type { BrokerWorkerConfig } from './broker-config.js';

// A cluster's workers: per cluster `pollersPerCluster` long-poll loops taking up to `max` builds;
// each batch is acked in one call while the poller is already polling again.
runRole<BrokerWorkerConfig, unknown>(async (config) => {
  const pollers = config.clusters.length * config.pollersPerCluster;
  const client = new JsonClient(config.baseUrl, { maxSockets: pollers * 2 + 8 });
  const tokens = new Map(config.clusters.map((c) => [c.name, mintClusterToken(c)]));
  return async () => {
    const meter = new Meter();
    const all = deferred();
    const seen = new Set<number>();
    let duplicates = 0;
    let rejected = 0;
    let polls = 0;
    let emptyPolls = 0;
    let firstError = '';
    let finished = false;
    const ackBatch = async (cluster: string, leaseIds: string[]) => {
      const answer = await client.request<AckResult>('POST', `/v4/queues/${cluster}/ack`, {
        body: { leaseIds },
        token: tokens.get(cluster)!,
      });
      if (answer.status !== 200) {
        meter.errors++;
        firstError ||= `ack ${answer.status} ${answer.text.slice(0, 300)}`;
        return;
      }
      rejected += answer.body.rejected.length;
      meter.completed(answer.body.acked.length);
      if (meter.count >= config.jobs) all.resolve();
    };
    const poller = async (cluster: string, index: number) => {
      const token = tokens.get(cluster)!;
      const body = JSON.stringify({ workerId: `bench-${cluster}-${index}`, max: config.max, waitMs: config.waitMs });
      while (!finished) {
        let answer;
        try {
          answer = await client.request<PollResult>('POST', `/v4/queues/${cluster}/poll`, { rawBody: body, token });
        } catch (err) {
          if (finished) return;
          throw err;
        }
        polls++;
        if (answer.status === 204) {
          emptyPolls++;
          continue;
        }
        if (answer.status !== 200) {
          meter.errors++;
          firstError ||= `poll ${answer.status} ${answer.text.slice(0, 300)}`;
          if (meter.errors > 100) return all.reject(new Error(`too many errors; first: ${firstError}`));
          continue;
        }
        const jobs = answer.body.jobs;
        for (const job of jobs) {
          if (seen.has(job.buildId)) duplicates++;
          seen.add(job.buildId);
        }
        if (jobs.length > 0) void ackBatch(cluster, jobs.map((j) => j.leaseId)).catch((err: Error) => all.reject(err));
      }
    };
    meter.started();
    const loops = config.clusters.flatMap((c) => Array.from({ length: config.pollersPerCluster }, (_, i) => poller(c.name, i)));
    for (const loop of loops) loop.catch((err: Error) => all.reject(err));
    await all.promise;
    finished = true;
    // Pollers still waiting at the broker are cut off: the run is over.
    client.close();
    return meter.result({ duplicates, rejected, polls, emptyPolls, firstError });
  };
});
