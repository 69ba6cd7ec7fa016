import { runRole } from '../lib/role.js';
import { JsonClient } from '../lib/http.js';
import { pollQueue } from '../lib/queue-poll.js';
import { mintClusterToken, type ClusterCredentials } from '../lib/keys.js';
import { startMessage } from '../lib/payload.js';
import { wallNow, sleep } from '../lib/log.js';
import { deferred } from '../lib/measure.js';

export interface LatencyConfig {
  baseUrl: string;
  sdapiToken: string;
  cluster: ClusterCredentials;
  pollers: number;
  builds: number;
  warmup: number;
  intervalMs: number;
  firstBuildId: number;
}

export interface LatencyResult {
  /** worker received − post answered, ms (negative: the worker had it before the producer got its 201) */
  fromAnswer: number[];
  /** worker received − post sent, ms */
  fromSent: number[];
  /** post round trip, ms */
  postRoundTrip: number[];
  duplicates: number;
}

// Producer and waiting workers in one process, so the two timestamps share one clock: posts one
// build every `intervalMs` while `pollers` long-polls wait, and times each build's arrival.
runRole<LatencyConfig, LatencyResult>(async (config) => {
  const client = new JsonClient(config.baseUrl, { maxSockets: config.pollers * 2 + 8 });
  const token = mintClusterToken(config.cluster);
  const cluster = config.cluster.name;
  const sent = new Map<number, number>();
  const answered = new Map<number, number>();
  const received = new Map<number, number>();
  let duplicates = 0;
  let expected = 0;
  let allReceived = deferred();
  let finished = false;

  const poller = async (index: number) => {
    const body = JSON.stringify({ workerId: `latency-${index}`, max: 1, waitMs: 30000 });
    while (!finished) {
      const answer = await pollQueue(client, cluster, body, token, () => finished);
      if (answer === null) return;
      const at = wallNow();
      if (answer.status === 204) continue;
      if (answer.status !== 200) throw new Error(`poll answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      for (const job of answer.body.jobs) {
        if (received.has(job.buildId)) duplicates++;
        else received.set(job.buildId, at);
      }
      if (received.size >= expected) allReceived.resolve();
      const leaseIds = answer.body.jobs.map((j) => j.leaseId);
      if (leaseIds.length > 0) void client.request('POST', `/v4/queues/${cluster}/ack`, { body: { leaseIds }, token });
    }
  };

  const post = async (buildId: number) => {
    const body = JSON.stringify(startMessage(buildId, cluster));
    sent.set(buildId, wallNow());
    const answer = await client.request('POST', '/v1/queue/message', { rawBody: body, token: config.sdapiToken });
    answered.set(buildId, wallNow());
    if (answer.status !== 201) throw new Error(`post answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  };

  const postEvery = async (from: number, count: number) => {
    const posts: Array<Promise<void>> = [];
    const start = wallNow();
    for (let i = 0; i < count; i++) {
      // Paced on the schedule, not on the answers, so a slow answer does not bunch the next posts.
      const due = start + i * config.intervalMs;
      const wait = due - wallNow();
      if (wait > 0) await sleep(wait);
      posts.push(post(from + i));
    }
    await Promise.all(posts);
  };

  const loops = Array.from({ length: config.pollers }, (_, i) => poller(i));
  for (const loop of loops) loop.catch((err: Error) => allReceived.reject(err));
  // Warm-up (not measured): connections, token caches, JIT.
  expected = config.warmup;
  await postEvery(config.firstBuildId, config.warmup);
  await allReceived.promise;

  return async () => {
    received.clear();
    expected = config.builds;
    allReceived = deferred();
    for (const loop of loops) loop.catch((err: Error) => allReceived.reject(err));
    const first = config.firstBuildId + config.warmup;
    await postEvery(first, config.builds);
    await allReceived.promise;
    finished = true;
    client.close();
    const result: LatencyResult = { fromAnswer: [], fromSent: [], postRoundTrip: [], duplicates };
    for (let id = first; id < first + config.builds; id++) {
      const at = received.get(id)!;
      result.fromAnswer.push(at - answered.get(id)!);
      result.fromSent.push(at - sent.get(id)!);
      result.postRoundTrip.push(answered.get(id)! - sent.get(id)!);
    }
    return result;
  };
});
