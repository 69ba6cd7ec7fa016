import { runRole } from '../lib/role.js';
import { Meter, concurrentLoop } from '../lib/measure.js';
import { JsonClient } from '../lib/http.js';
import { startMessage } from '../lib/payload.js';
import type { BrokerProducerConfig } from './broker-config.js';

// Screwdriver's side: `concurrency` loops posting start messages to POST /v1/queue/message.
runRole<BrokerProducerConfig, unknown>(async (config) => {
  const client = new JsonClient(config.baseUrl, { maxSockets: config.concurrency });
  const bodies = Array.from({ length: config.jobs }, (_, i) =>
    JSON.stringify(startMessage(config.firstBuildId + i, config.clusters[i % config.clusters.length]!)),
  );
  // One warm request so connection setup and token verification are not in the timing.
  const warm = await client.request('GET', '/v1/queue/stats', { token: config.token });
  if (warm.status >= 500) throw new Error(`broker not healthy: GET /v1/queue/stats ${warm.status}`);
  return async () => {
    const meter = new Meter();
    const statuses: Record<string, number> = {};
    let firstError = '';
    meter.started();
    await concurrentLoop(config.jobs, config.concurrency, async (i) => {
      const answer = await client.request('POST', '/v1/queue/message', { rawBody: bodies[i]!, token: config.token });
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 201 || answer.status === 200) meter.completed();
      else {
        meter.errors++;
        firstError ||= `${answer.status} ${answer.text.slice(0, 300)}`;
      }
    });
    client.close();
    return meter.result({ statuses, firstError });
  };
});
