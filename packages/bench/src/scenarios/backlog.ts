import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { queueKeyOf } from '../lib/clusters.js';
import { REPO_ROOT } from '../lib/repo.js';
import { screwdriverStartMessage } from '../lib/payload.js';
import { concurrentLoop } from '../lib/measure.js';
import { progress } from '../lib/log.js';
import { formatInt } from '../lib/stats.js';

/**
 * Fills a cluster's queue fast for the growth figures, through the broker's own queue module (the
 * built apps/broker/dist/queue: the same claim and enqueue Lua scripts a POST runs), with many
 * calls in flight on one auto-pipelined connection — skipping only HTTP, auth and cluster choice.
 */
interface DirectoryLike {
  claim(
    buildId: number,
    target: { queue: string; cluster: string } | null,
    message: string,
    reason: string,
  ): Promise<{ queue: string; cluster: string; state: string }>;
  /** Clears the claims journal (the broker's second step does it; left, a sweeper would append each again). */
  appended(buildIds: number[]): Promise<void>;
}
interface StoreLike {
  enqueue(queue: string, cluster: string, buildId: number, message: string): Promise<{ created: boolean }>;
}

export async function fillBacklog(options: {
  redisUrl: string;
  keyPrefix: string;
  cluster: string;
  firstBuildId: number;
  count: number;
}): Promise<{ seconds: number; perSecond: number }> {
  const queueDist = `${REPO_ROOT}apps/broker/dist/queue/`;
  const { BuildDirectory } = (await import(pathToFileURL(`${queueDist}scheduling/directory.js`).href)) as {
    BuildDirectory: new (redis: Redis, keepMs: number) => DirectoryLike;
  };
  const { QueueStore } = (await import(pathToFileURL(`${queueDist}storage/store.js`).href)) as {
    QueueStore: new (options: {
      redis: Redis;
      wakeChannel: string;
      leaseMs: number;
      maxAttempts: number;
      keepMs: number;
    }) => StoreLike;
  };
  const redis = new Redis(options.redisUrl, {
    keyPrefix: options.keyPrefix,
    enableAutoPipelining: true,
    connectionName: 'bench-backlog',
  });
  try {
    // keepMs and leaseMs only matter once builds are leased or settled, which the broker itself does.
    const directory = new BuildDirectory(redis, 3_600_000);
    const store = new QueueStore({
      redis,
      wakeChannel: `${options.keyPrefix}bench-backlog`,
      leaseMs: 60_000,
      maxAttempts: 5,
      keepMs: 3_600_000,
    });
    const queueKey = await queueKeyOf(redis, options.cluster);
    const target = { queue: queueKey, cluster: options.cluster };
    const started = performance.now();
    let done = 0;
    let lastReport = started;
    await concurrentLoop(options.count, 2000, async (i) => {
      const buildId = options.firstBuildId + i;
      const message = JSON.stringify(screwdriverStartMessage(buildId, options.cluster));
      const claim = await directory.claim(buildId, target, message, '');
      if (claim.state !== '' || claim.queue !== queueKey)
        throw new Error(`backlog build ${buildId} was not claimed for ${options.cluster}`);
      await store.enqueue(claim.queue, claim.cluster, buildId, message);
      await directory.appended([buildId]);
      done++;
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        progress(`  backlog: ${formatInt(done)} / ${formatInt(options.count)} queued`);
      }
    });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, perSecond: options.count / seconds };
  } finally {
    redis.disconnect();
  }
}
