import { runRole } from '../lib/role.js';
import { Meter, concurrentLoop } from '../lib/measure.js';
import { JsonClient } from '../lib/http.js';
import { screwdriverStartMessage, startMessage } from '../lib/payload.js';
import type { BrokerProducerConfig } from './broker-config.js';

// Screwdriver's side: `concurrency` loops posting start messages to POST /v1/queue/message, spread
// over the broker replicas.
runRole<BrokerProducerConfig, unknown>(async (config) => {
  const clients = config.baseUrls.map((url) => new JsonClient(url, { maxSockets: config.concurrency }));
  const total = config.warmup + config.jobs;
  const message = config.payload === 'screwdriver' ? screwdriverStartMessage : startMessage;
  const bodies = Array.from({ length: total }, (_, i) =>
    JSON.stringify(message(config.firstBuildId + i, config.clusters[i % config.clusters.length]!)),
  );
  const statuses: Record<string, number> = {};
  let firstError = '';
  const post = async (i: number, meter?: Meter) => {
    const client = clients[i % clients.length]!;
    const answer = await client.request('POST', '/v1/queue/message', { rawBody: bodies[i]!, token: config.token });
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 201 || answer.status === 200) meter?.completed();
    else {
      if (meter) meter.errors++;
      firstError ||= `${answer.status} ${answer.text.slice(0, 300)}`;
    }
  };
  // Warm-up (not measured): connections, the broker's token cache and JIT.
  await concurrentLoop(config.warmup, config.concurrency, (i) => post(i));
  if (firstError) throw new Error(`warm-up posts failed: ${firstError}`);
  return async () => {
    const meter = new Meter();
    meter.started();
    await concurrentLoop(config.jobs, config.concurrency, (i) => post(config.warmup + i, meter));
    for (const client of clients) client.close();
    return meter.result({ statuses, firstError });
  };
});
