import { Redis } from 'ioredis';
import { runRole } from '../lib/role.js';
import { ConsumeTracker } from '../lib/measure.js';
import type { PeerConfig } from './peer-config.js';

// Raw Redis Streams consumer: XREADGROUP COUNT 100 BLOCK 1000, then one XACK per batch (perf.md t1).
runRole<PeerConfig, unknown>(async (config) => {
  const reader = new Redis(config.redisUrl, { connectionName: 'streams-reader' });
  const acker = new Redis(config.redisUrl, { connectionName: 'streams-acker' });
  // From the stream's start ('0', not '$'): the producer's warm-up entries may already be there
  // (Redis was flushed before the run, so nothing older is).
  await reader.xgroup('CREATE', config.queue, 'g', '0', 'MKSTREAM');
  const tracker = new ConsumeTracker(config.warmup, config.jobs);
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const answer = (await reader.xreadgroup(
        'GROUP',
        'g',
        'c',
        'COUNT',
        100,
        'BLOCK',
        1000,
        'STREAMS',
        config.queue,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = answer?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      for (const [, fields] of entries) JSON.parse(fields[1]!);
      await acker.xack(config.queue, 'g', ...entries.map(([id]) => id));
      tracker.consumed(entries.length);
    }
  };
  loop().catch((err: Error) => tracker.fail(err));
  await tracker.warmedUp.promise;
  return async () => {
    tracker.go();
    await tracker.finished.promise;
    stopped = true;
    const pending = (await acker.xpending(config.queue, 'g')) as [number, ...unknown[]];
    reader.disconnect();
    acker.disconnect();
    return tracker.meter.result({ pendingAfter: pending[0] });
  };
});
