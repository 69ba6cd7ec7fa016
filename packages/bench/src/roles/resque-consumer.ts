import { MultiWorker } from 'node-resque';
import { runRole } from '../lib/role.js';
import { ConsumeTracker } from '../lib/measure.js';
import type { PeerConfig } from './peer-config.js';

// node-resque MultiWorker as tuned in perf.md t3: timeout and checkTimeout 10 ms so it ramps to
// `concurrency` task processors during the drain instead of staying at a handful.
runRole<PeerConfig, unknown>(async (config) => {
  const url = new URL(config.redisUrl);
  const tracker = new ConsumeTracker(config.warmup, config.jobs);
  let peakProcessors = 0;
  const multiWorker = new MultiWorker(
    {
      connection: { host: url.hostname, port: Number(url.port) },
      queues: [config.queue],
      timeout: 10,
      checkTimeout: 10,
      maxEventLoopDelay: 10,
      minTaskProcessors: 1,
      maxTaskProcessors: config.concurrency,
    },
    { build: { perform: async () => true } },
  );
  multiWorker.on('success', () => {
    tracker.consumed();
    peakProcessors = Math.max(peakProcessors, multiWorker.workers.length);
  });
  multiWorker.on('failure', () => tracker.meter.errors++);
  multiWorker.start();
  await tracker.warmedUp.promise;
  return async () => {
    tracker.go();
    await tracker.finished.promise;
    await multiWorker.end();
    return tracker.meter.result({ peakProcessors });
  };
});
