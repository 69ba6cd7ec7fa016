import { startRole, rolePath, type RoleHandle } from '../lib/role.js';
import { progress, sleep } from '../lib/log.js';
import { rssBytes, stopChild } from '../lib/processes.js';
import { redisClients } from '../lib/redis-server.js';
import { clusterNames, registerClusters } from '../lib/clusters.js';
import { ephemeralPorts, openFilesLimit } from '../lib/limits.js';
import { formatInt, mb, percentile, round } from '../lib/stats.js';
import type { BrokerProcess } from '../lib/broker-process.js';
import type { ClusterCredentials } from '../lib/keys.js';
import type { JsonClient } from '../lib/http.js';
import type { IdleConfig, IdleResult } from '../roles/broker-idle.js';
import type { WakeConfig, WakeResult } from '../roles/broker-wake.js';
import type { BenchContext } from './context.js';
import { withTimeout } from './pair.js';

/** Open files the broker keeps for itself beyond its polls: Redis, PostgreSQL, the listener, its own files. */
const BROKER_FD_HEADROOM = 1000;
/** The same for each poll client process (its IPC channel, node's own files). */
const CLIENT_FD_HEADROOM = 1000;
/** Ephemeral ports left free on each source address (TIME_WAIT of earlier runs, other programs). */
const PORT_HEADROOM = 3000;
/** The figure, which this machine's open-files limit keeps one process from holding. */
export const TARGET_POLLS = 100_000;

export interface WakeFigures {
  builds: number;
  /** the wake role's own polls, on clusters of their own, parked beside the others */
  polls: number;
  fewestWaiting: number;
  p50: number;
  p99: number;
  max: number;
  postP50: number;
  postP99: number;
}

export interface IdleFigures {
  polls: number;
  /** what --polls asked for (null: as many as the broker's open-files limit allows) */
  requestedPolls: number | null;
  brokerOpenFilesLimit: number;
  clientProcesses: number;
  sourceAddresses: number;
  parked: number;
  secondsToPark: number;
  clusters: number;
  rssIdleMb: number;
  rssParkedMb: number;
  /** (parked − idle RSS) ÷ polls, and idle + that × TARGET_POLLS: extrapolated, not measured */
  rssPerPollKb: number;
  rssAtTargetMb: number;
  /** Redis connections of the broker (CLIENT LIST on the dedicated Redis) before and while parked */
  redisConnectionsIdle: number;
  redisConnectionsParked: number;
  redisClientNames: string[];
  /** the broker's own count of waiting polls, when /metrics exposes one */
  brokerWaitingPolls: number | null;
  wake?: WakeFigures;
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

/**
 * How many polls this machine lets one broker hold (its open-files limit less headroom), and how
 * to open them: `requested` is clamped to that, spread over enough client processes for their own
 * limit and enough loopback source addresses for the ephemeral ports.
 */
export function idlePlan(
  requested: number | null,
  limits: { broker: number; client: number; ports: number },
): { polls: number; clamped: boolean; clients: number; perClient: number; pollsPerAddress: number; addresses: number } {
  const most = Math.max(1, limits.broker - BROKER_FD_HEADROOM);
  const polls = Math.max(1, Math.min(requested ?? most, most));
  const perClient = Math.max(1, limits.client - CLIENT_FD_HEADROOM);
  const pollsPerAddress = Math.max(1, limits.ports - PORT_HEADROOM);
  return {
    polls,
    clamped: requested !== null && requested > most,
    clients: Math.ceil(polls / perClient),
    perClient,
    pollsPerAddress,
    addresses: Math.ceil(polls / pollsPerAddress),
  };
}

/**
 * Long-polls waiting at one broker, as many as its open-files limit allows (or `--polls`): its RSS,
 * its Redis connections, and how fast a build still wakes a parked poll with all of them waiting.
 */
export async function brokerIdle(
  ctx: BenchContext,
  broker: BrokerProcess,
  client: JsonClient,
  clusters: ClusterCredentials[],
  options: { polls: number | null; wakeBuilds: number },
): Promise<IdleFigures> {
  const brokerLimit = openFilesLimit(broker.pid).soft;
  const plan = idlePlan(options.polls, { broker: brokerLimit, client: openFilesLimit().soft, ports: ephemeralPorts() });
  const polls = plan.polls;
  if (plan.clamped) {
    progress(
      `idle capacity: --polls ${formatInt(options.polls!)} is more than the broker's open-files limit (${formatInt(brokerLimit)}) allows; opening ${formatInt(polls)}`,
    );
  }
  progress(
    `idle capacity: broker open-files limit ${formatInt(brokerLimit)} → ${formatInt(polls)} polls, ${plan.clients} client process(es), ${plan.addresses} source address(es)`,
  );
  const wakeClusters = await registerClusters(client, ctx.adminToken, clusterNames(4, 'wake'));
  const control = ctx.redis.client('bench-control');
  const roles: Array<RoleHandle<IdleResult>> = [];
  let wake: RoleHandle<WakeResult> | null = null;
  try {
    for (let k = 0; k < plan.clients; k++) {
      const first = k * plan.perClient;
      const config: IdleConfig = {
        baseUrl: broker.url,
        clusters,
        first,
        polls: Math.min(plan.perClient, polls - first),
        step: 250,
        pollsPerAddress: plan.pollsPerAddress,
      };
      roles.push(startRole<IdleConfig, IdleResult>(rolePath('broker-idle'), config));
    }
    await withTimeout(Promise.all(roles.map((r) => r.ready)), 60_000, 'idle polls: not ready');
    await sleep(1000);
    const rssIdle = rssBytes(broker.pid);
    const connectionsIdle = (await redisClients(control)).filter((c) => c.name !== 'bench-control');
    progress(`idle capacity: opening ${formatInt(polls)} long-polls over ${clusters.length} cluster(s)`);
    // One client after the other, so the broker's accept queue sees one stream of steps.
    const parked: IdleResult[] = [];
    for (const role of roles) {
      role.go();
      parked.push(await withTimeout(role.done, 600_000, `idle polls: ${formatInt(polls)} not all opened`));
    }
    // Let the broker finish taking the last requests in, then sample for a few seconds.
    let rss = 0;
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      rss = Math.max(rss, rssBytes(broker.pid));
    }
    const connections = (await redisClients(control)).filter((c) => c.name !== 'bench-control');
    const metric = await waitingPollsMetric(client).catch(() => null);
    const rssPerPoll = (rss - rssIdle) / polls;
    const figures: IdleFigures = {
      polls,
      requestedPolls: options.polls,
      brokerOpenFilesLimit: brokerLimit,
      clientProcesses: plan.clients,
      sourceAddresses: plan.addresses,
      parked: parked.reduce((sum, p) => sum + p.parked, 0),
      secondsToPark: round(
        parked.reduce((sum, p) => sum + p.secondsToPark, 0),
        1,
      ),
      clusters: clusters.length,
      rssIdleMb: mb(rssIdle),
      rssParkedMb: mb(rss),
      rssPerPollKb: round(rssPerPoll / 1024, 2),
      rssAtTargetMb: mb(rssIdle + rssPerPoll * TARGET_POLLS),
      redisConnectionsIdle: connectionsIdle.length,
      redisConnectionsParked: connections.length,
      redisClientNames: connections.map((c) => c.name || '(unnamed)'),
      brokerWaitingPolls: metric,
      errors: parked.reduce((sum, p) => sum + p.errors, 0),
      firstError: parked.find((p) => p.firstError)?.firstError ?? '',
    };
    progress(
      `idle capacity: ${formatInt(figures.parked)} polls waiting (broker says ${metric ?? 'n/a'}); RSS ${figures.rssIdleMb} → ${figures.rssParkedMb} MB (${figures.rssPerPollKb} KB a poll); Redis connections ${figures.redisConnectionsIdle} → ${figures.redisConnectionsParked} (${figures.redisClientNames.join(', ')})`,
    );
    if (options.wakeBuilds > 0) {
      const config: WakeConfig = {
        baseUrl: broker.url,
        sdapiToken: ctx.sdapiToken,
        clusters: wakeClusters,
        pollsPerCluster: 5,
        builds: options.wakeBuilds,
        warmup: 50,
        intervalMs: 10,
        firstBuildId: 1,
      };
      progress(`idle capacity: waking a parked poll ${formatInt(options.wakeBuilds)} times, one build every ~10 ms`);
      wake = startRole<WakeConfig, WakeResult>(rolePath('broker-wake'), config);
      await withTimeout(wake.ready, 120_000, 'wake: the warm-up did not finish');
      wake.go();
      const w = await withTimeout(wake.done, Math.max(120_000, options.wakeBuilds * 200), 'wake: the builds did not all arrive');
      const ms = (p: number, values: number[]) => round(percentile(values, p), 2);
      figures.wake = {
        builds: w.fromAnswer.length,
        polls: wakeClusters.length * config.pollsPerCluster,
        fewestWaiting: w.fewestWaiting,
        p50: ms(50, w.fromAnswer),
        p99: ms(99, w.fromAnswer),
        max: ms(100, w.fromAnswer),
        postP50: ms(50, w.postRoundTrip),
        postP99: ms(99, w.postRoundTrip),
      };
      progress(
        `idle capacity: wake latency p50 ${figures.wake.p50} ms, p99 ${figures.wake.p99} ms, max ${figures.wake.max} ms (post round trip p50 ${figures.wake.postP50} ms, p99 ${figures.wake.postP99} ms)`,
      );
    }
    return figures;
  } finally {
    if (wake) await stopChild(wake.child, 5000);
    for (const role of roles) role.stop();
    await Promise.all(roles.map((role) => stopChild(role.child, 5000)));
    control.disconnect();
  }
}
