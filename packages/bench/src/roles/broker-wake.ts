import { runRole } from '../lib/role.js';
import { JsonClient } from '../lib/http.js';
import { pollQueue } from '../lib/queue-poll.js';
import { mintClusterToken, type ClusterCredentials } from '../lib/keys.js';
import { startMessage } from '../lib/payload.js';
import { sleep } from '../lib/log.js';
import { deferred } from '../lib/measure.js';

export interface WakeConfig {
  baseUrl: string;
  sdapiToken: string;
  /** clusters only this role polls, so every build it posts wakes one of its own polls */
  clusters: ClusterCredentials[];
  pollsPerCluster: number;
  builds: number;
  warmup: number;
  /** pause between one build's arrival and the next post */
  intervalMs: number;
  firstBuildId: number;
}

export interface WakeResult {
  /** the poll's answer arrived − the post's 201 arrived, ms (negative: the poll was answered first) */
  fromAnswer: number[];
  /** post round trip, ms */
  postRoundTrip: number[];
  /** polls waiting here when the measured posts began, and the fewest while they ran */
  waiting: number;
  fewestWaiting: number;
}

// Wake latency with the broker full of parked polls: this role's own long-polls wait on clusters
// of their own; it posts one build at a time to them and times, on this process's clock, from the
// post's 201 to the woken poll's answer. A woken poll acks its build and polls again at once, so
// the number parked drops by at most one while a build is in flight.
runRole<WakeConfig, WakeResult>(async (config) => {
  const polls = config.clusters.length * config.pollsPerCluster;
  const client = new JsonClient(config.baseUrl, { maxSockets: polls * 2 + 8 });
  const answered = new Map<number, number>();
  const received = new Map<number, number>();
  const roundTrips = new Map<number, number>();
  let arrival = deferred<number>();
  let waiting = 0;
  let fewestWaiting = Number.POSITIVE_INFINITY;
  let finished = false;

  const poller = async (cluster: ClusterCredentials, index: number) => {
    const token = mintClusterToken(cluster);
    const body = JSON.stringify({ workerId: `wake-${index}`, max: 1, waitMs: 30000 });
    while (!finished) {
      waiting++;
      const answer = await pollQueue(client, cluster.name, body, token, () => finished);
      waiting--;
      if (answer === null) return;
      const at = performance.now();
      if (answer.status === 204) continue;
      if (answer.status !== 200) throw new Error(`poll answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      for (const job of answer.body.jobs) {
        received.set(job.buildId, at);
        arrival.resolve(job.buildId);
      }
      const leaseIds = answer.body.jobs.map((j) => j.leaseId);
      if (leaseIds.length > 0) void client.request('POST', `/v4/queues/${cluster.name}/ack`, { body: { leaseIds }, token });
    }
  };

  // One build at a time: post, wait for it to reach a poll, pause, next.
  const postOneByOne = async (from: number, count: number, measured: boolean) => {
    for (let i = 0; i < count; i++) {
      const buildId = from + i;
      const cluster = config.clusters[i % config.clusters.length]!.name;
      arrival = deferred<number>();
      if (measured) fewestWaiting = Math.min(fewestWaiting, waiting);
      const sentAt = performance.now();
      const answer = await client.request('POST', '/v1/queue/message', {
        rawBody: JSON.stringify(startMessage(buildId, cluster)),
        token: config.sdapiToken,
      });
      answered.set(buildId, performance.now());
      if (answer.status !== 201) throw new Error(`post answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      if (!received.has(buildId)) await arrival.promise;
      roundTrips.set(buildId, answered.get(buildId)! - sentAt);
      await sleep(config.intervalMs);
    }
  };

  const loops = config.clusters.flatMap((cluster, c) =>
    Array.from({ length: config.pollsPerCluster }, (_, k) => poller(cluster, c * config.pollsPerCluster + k)),
  );
  for (const loop of loops) loop.catch((err: Error) => arrival.reject(err));
  // Every poll on the wire, then a warm-up (not measured): connections, token caches, JIT.
  while (waiting < polls) await sleep(50);
  await sleep(500);
  await postOneByOne(config.firstBuildId, config.warmup, false);

  return async () => {
    const first = config.firstBuildId + config.warmup;
    const waitingAtStart = waiting;
    await postOneByOne(first, config.builds, true);
    finished = true;
    client.close();
    const result: WakeResult = { fromAnswer: [], postRoundTrip: [], waiting: waitingAtStart, fewestWaiting };
    for (let id = first; id < first + config.builds; id++) {
      result.fromAnswer.push(received.get(id)! - answered.get(id)!);
      result.postRoundTrip.push(roundTrips.get(id)!);
    }
    return result;
  };
});
