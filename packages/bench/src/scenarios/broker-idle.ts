import { startRole, rolePath } from '../lib/role.js';
import { progress, sleep } from '../lib/log.js';
import { rssBytes, stopChild } from '../lib/processes.js';
import { redisClients } from '../lib/redis-server.js';
import { mb } from '../lib/stats.js';
import type { BrokerProcess } from '../lib/broker-process.js';
import type { ClusterCredentials } from '../lib/keys.js';
import type { JsonClient } from '../lib/http.js';
import type { IdleConfig, IdleResult } from '../roles/broker-idle.js';
import type { BenchContext } from './context.js';
import { withTimeout } from './pair.js';

export interface IdleFigures {
  polls: number;
  parked: number;
  secondsToPark: number;
  clusters: number;
  rssIdleMb: number;
  rssParkedMb: number;
  /** Redis connections of the broker (CLIENT LIST on the dedicated Redis) before and while parked */
  redisConnectionsIdle: number;
  redisConnectionsParked: number;
  redisClientNames: string[];
  /** the broker's own count of waiting polls, when /metrics exposes one */
  brokerWaitingPolls: number | null;
  errors: number;
  firstError: string;
}

/** Reads a gauge of waiting polls from /metrics, whatever the queue module named it. */
async function waitingPollsMetric(client: JsonClient): Promise<number | null> {
  const answer = await client.request('GET', '/metrics');
  if (answer.status !== 200) return null;
  let total: number | null = null;
  for (const line of answer.text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (
      /^broker_[a-z_]*poll[a-z_]*(wait|park)[a-z_]*(\{[^}]*\})? /.test(line) &&
      !/_total|_bucket|_sum|_count/.test(line.split(' ')[0]!)
    ) {
      total = (total ?? 0) + Number(line.split(' ').pop());
    }
  }
  return total;
}

/** 10,000 long-polls waiting at one broker: its RSS and its Redis connections. */
export async function brokerIdle(
  ctx: BenchContext,
  broker: BrokerProcess,
  client: JsonClient,
  clusters: ClusterCredentials[],
  polls: number,
): Promise<IdleFigures> {
  const control = ctx.redis.client('bench-control');
  const role = startRole<IdleConfig, IdleResult>(rolePath('broker-idle'), { baseUrl: broker.url, clusters, polls, step: 250 });
  try {
    await withTimeout(role.ready, 60_000, 'idle polls: not ready');
    await sleep(1000);
    const rssIdle = rssBytes(broker.pid);
    const connectionsIdle = (await redisClients(control)).filter((c) => c.name !== 'bench-control');
    progress(`idle capacity: opening ${polls} long-polls over ${clusters.length} cluster(s)`);
    role.go();
    const parked = await withTimeout(role.done, 300_000, `idle polls: ${polls} not all opened`);
    // Let the broker finish taking the last requests in, then sample for a few seconds.
    let rss = 0;
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      rss = Math.max(rss, rssBytes(broker.pid));
    }
    const connections = (await redisClients(control)).filter((c) => c.name !== 'bench-control');
    const metric = await waitingPollsMetric(client).catch(() => null);
    const figures: IdleFigures = {
      polls,
      parked: parked.parked,
      secondsToPark: Math.round(parked.secondsToPark * 10) / 10,
      clusters: clusters.length,
      rssIdleMb: mb(rssIdle),
      rssParkedMb: mb(rss),
      redisConnectionsIdle: connectionsIdle.length,
      redisConnectionsParked: connections.length,
      redisClientNames: connections.map((c) => c.name || '(unnamed)'),
      brokerWaitingPolls: metric,
      errors: parked.errors,
      firstError: parked.firstError,
    };
    progress(
      `idle capacity: ${figures.parked} polls waiting (broker says ${metric ?? 'n/a'}); RSS ${figures.rssIdleMb} → ${figures.rssParkedMb} MB; Redis connections ${figures.redisConnectionsIdle} → ${figures.redisConnectionsParked} (${figures.redisClientNames.join(', ')})`,
    );
    return figures;
  } finally {
    role.stop();
    await stopChild(role.child, 5000);
    control.disconnect();
  }
}
