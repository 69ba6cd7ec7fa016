import type { PostsResult } from '../scenarios/floor.js';
import { formatInt, median, round } from '../lib/stats.js';
import { textTable, markdownTable } from '../lib/table.js';
import { PEERS } from '../scenarios/peers.js';
import { medianOf, type BenchResults } from './results.js';
import { redisPerBuild, type NodeDelta, type RedisPerBuild } from '../lib/redis-nodes.js';
import { formatShards } from './shards-report.js';
import { TARGET_POLLS } from '../scenarios/broker-idle.js';

type Row = [figure: string, measured: string, target: string, verdict: string];

const verdict = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED');
const spread = (runs: Array<{ perSecond: number }> | undefined): string => {
  if (!runs || runs.length < 2) return '';
  const values = runs.map((r) => r.perSecond);
  return ` (${formatInt(Math.min(...values))}–${formatInt(Math.max(...values))})`;
};
const within = (a: number, b: number, pct: number): boolean | null =>
  Number.isFinite(a) && Number.isFinite(b) && a > 0 ? Math.abs(b - a) / a <= pct / 100 : null;
const change = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && a > 0 ? `${b >= a ? '+' : ''}${round((100 * (b - a)) / a, 1)} %` : 'n/a';

/** A run's Redis work a build; files saved before `redisPerBuild` existed have only the deltas. */
type RedisRun = { jobs: number; redisNodes: NodeDelta[]; redisPerBuild?: RedisPerBuild | null };
const perBuildOf = (run: RedisRun): RedisPerBuild | null =>
  run.redisPerBuild ?? (run.redisNodes.length > 0 ? redisPerBuild(run.redisNodes, run.jobs) : null);

/** Medians over rounds of Redis commands and CPU µs a build, or null when no run touched a Redis. */
export function medianRedisPerBuild(runs: RedisRun[] | undefined): RedisPerBuild | null {
  const figures = (runs ?? []).map(perBuildOf).filter((f): f is RedisPerBuild => f !== null);
  if (figures.length === 0) return null;
  return { commands: median(figures.map((f) => f.commands)), cpuUs: median(figures.map((f) => f.cpuUs)) };
}

const redisText = (runs: RedisRun[] | undefined): string => {
  const r = medianRedisPerBuild(runs);
  return r ? `; Redis a build: ${r.commands} commands, ${formatInt(r.cpuUs)} µs CPU` : '';
};

/** Median of per-round ratios a[i] ÷ b[i], with their range when there are several rounds. */
function roundRatio(a: Array<{ perSecond: number }>, b: Array<{ perSecond: number }>): { ratio: number; text: string } | null {
  const perRound = a.slice(0, b.length).map((x, i) => x.perSecond / b[i]!.perSecond);
  if (perRound.length === 0) return null;
  const ratio = median(perRound);
  const range = perRound.length > 1 ? ` (rounds ${round(Math.min(...perRound), 2)}–${round(Math.max(...perRound), 2)}×)` : '';
  return { ratio, text: `${round(ratio, 2)}×${range}` };
}

/** The final table: each figure with its target and whether it was met. */
export function reportRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const endToEnd =
    Object.keys(results.broker).length > 0 || Object.keys(results.peers).length > 0 || (results.floor?.length ?? 0) > 0;
  if (endToEnd && results.payloadBytes) {
    rows.push([
      'payload of every end-to-end run and the floor',
      `Screwdriver's start message, ${formatInt(results.payloadBytes)} bytes of JSON`,
      '',
      '',
    ]);
  }
  const counts = Object.keys(results.broker)
    .map(Number)
    .sort((a, b) => a - b);
  for (const n of counts) {
    const runs = results.broker[String(n)] ?? [];
    const perPoll = runs.map((r) => r.buildsPerPoll ?? 0).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    rows.push([
      `broker end to end, ${n} cluster${n === 1 ? '' : 's'} (builds/s)`,
      `${formatInt(medianOf(runs))}${spread(runs)}${perPoll ? `, ${perPoll} builds a poll` : ''}${redisText(runs)}`,
      '',
      '',
    ]);
  }
  for (const [name, peer] of Object.entries(PEERS)) {
    const runs = results.peers[name as keyof typeof PEERS];
    if (runs) rows.push([`${peer.title} (jobs/s)`, formatInt(medianOf(runs)) + spread(runs) + redisText(runs), '', '']);
  }
  const base = counts.includes(1) ? 1 : counts[0];
  const brokerRuns = base === undefined ? [] : (results.broker[String(base)] ?? []);
  // Each round runs every system within a minute or two, so the ratio within a round is what
  // holds when the machine's speed changes between rounds; the median of those is reported.
  const ratio = (peer: keyof typeof PEERS, target: number | null) => {
    const r = roundRatio(brokerRuns, results.peers[peer] ?? []);
    if (!r) return;
    rows.push([
      `broker (${base} cluster${base === 1 ? '' : 's'}) ÷ ${peer}, median of per-round ratios`,
      r.text,
      target === null ? 'ceiling (info)' : `≥ ${target}×`,
      target === null ? 'info' : verdict(r.ratio >= target),
    ]);
  };
  ratio('bullmq', 1.5);
  ratio('resque', 3);
  ratio('streams', null);
  if (counts.length > 1) {
    const first = counts[0]!;
    const last = counts[counts.length - 1]!;
    const a = results.broker[String(first)] ?? [];
    const b = results.broker[String(last)] ?? [];
    const perRound = a.slice(0, b.length).map((x, i) => (100 * (b[i]!.perSecond - x.perSecond)) / x.perSecond);
    const c = median(perRound);
    const range =
      perRound.length > 1 ? ` (rounds ${round(Math.min(...perRound), 1)} to ${round(Math.max(...perRound), 1)} %)` : '';
    rows.push([
      `throughput ${first} → ${last} clusters, median of per-round changes`,
      `${c >= 0 ? '+' : ''}${round(c, 1)} %${range}`,
      'within ±10 %',
      verdict(Number.isFinite(c) ? Math.abs(c) <= 10 : null),
    ]);
  }
  const floor = results.floor ?? [];
  const alone = results.brokerPostsAlone ?? [];
  const durable = results.durableFloor ?? [];
  // The posts-alone rows: both floors and the broker, under the same producer and posts.
  const posts: Array<[string, PostsResult[]]> = [
    [`floor: bare Fastify, broker's server options (posts/s)`, floor],
    [`durable floor: the same app + one Redis script a post (XADD + HSET) (posts/s)`, durable],
    [`broker, posting alone, 1 cluster, nobody polling (posts/s)`, alone],
  ];
  for (const [label, runs] of posts) {
    if (runs.length > 0) rows.push([label, formatInt(medianOf(runs)) + spread(runs) + redisText(runs), '', '']);
  }
  const overs: Array<[string, PostsResult[], string, (ratio: number) => string]> = [
    ['broker posting alone ÷ floor, median of per-round ratios', floor, '≥ 0.7×', (ratio) => verdict(ratio >= 0.7)],
    ['broker posting alone ÷ durable floor, median of per-round ratios', durable, 'what the broker adds (info)', () => 'info'],
  ];
  for (const [label, under, target, judge] of overs) {
    const over = roundRatio(alone, under);
    if (over) rows.push([label, over.text, target, judge(over.ratio)]);
  }
  if (results.latency) {
    const l = results.latency;
    rows.push([
      `dispatch latency, ${l.builds} builds (post answered → worker has it)`,
      `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms`,
      'p99 ≤ 5 ms',
      verdict(l.p99 <= 5),
    ]);
  }
  if (results.rules) {
    const r = results.rules;
    const side = (v: typeof r.plain) => `${formatInt(v.perSecond)} posts/s, p50 ${v.p50} ms, p99 ${v.p99} ms`;
    rows.push([`posts without blockedBy, ${formatInt(r.builds)} at ${r.concurrency} in flight`, side(r.plain), '', '']);
    rows.push([
      `posts with blockedBy + collapse (rules-admit), same run`,
      `${side(r.rules)} (${change(r.plain.perSecond, r.rules.perSecond)} rate)`,
      '',
      '',
    ]);
  }
  if (results.idle) {
    const i = results.idle;
    const allParked = i.parked === i.polls;
    rows.push([
      `${formatInt(i.polls)} waiting polls: broker RSS`,
      `${i.rssParkedMb} MB (idle ${i.rssIdleMb} MB)${i.rssPerPollKb !== undefined ? `, ${i.rssPerPollKb} KB a parked poll` : ''}`,
      '',
      allParked ? '' : 'MISSED',
    ]);
    if (i.rssAtTargetMb !== undefined) {
      rows.push([
        `${formatInt(TARGET_POLLS)} waiting polls: broker RSS, extrapolated from ${formatInt(i.polls)} measured (open-files limit ${formatInt(i.brokerOpenFilesLimit)})`,
        `${formatInt(i.rssAtTargetMb)} MB (idle + ${formatInt(TARGET_POLLS)} × ${i.rssPerPollKb} KB)`,
        '≤ 1 GB',
        verdict(allParked ? i.rssAtTargetMb <= 1024 : false),
      ]);
    }
    rows.push([
      `${formatInt(i.polls)} waiting polls: broker's Redis connections`,
      `${i.redisConnectionsParked} (idle ${i.redisConnectionsIdle})`,
      '≤ 8, whatever the polls',
      verdict(i.redisConnectionsParked <= 8),
    ]);
    if (i.wake) {
      const w = i.wake;
      rows.push([
        `wake with ${formatInt(i.polls)} parked, ${formatInt(w.builds)} builds one at a time (post answered → poll answered)`,
        `p50 ${w.p50} ms, p99 ${w.p99} ms, max ${w.max} ms`,
        'p99 ≤ 10 ms',
        verdict(w.p99 <= 10),
      ]);
    }
  }
  if (results.growth) {
    const g = results.growth;
    const [small, large] = g.runs;
    if (small && large) {
      rows.push([`throughput with ${formatInt(small.backlog)} queued`, formatInt(small.run.perSecond), '', '']);
      rows.push([`throughput with ${formatInt(large.backlog)} queued`, formatInt(large.run.perSecond), '', '']);
      rows.push([
        `throughput ${formatInt(small.backlog)} → ${formatInt(large.backlog)} queued`,
        change(small.run.perSecond, large.run.perSecond),
        'within ±10 %',
        verdict(within(small.run.perSecond, large.run.perSecond, 10)),
      ]);
    }
    const perBuild =
      g.drainedBuilds > 0 ? Math.round(((g.memory.afterMb - g.memory.beforeMb) * 1024 * 1024) / g.drainedBuilds) : 0;
    rows.push([
      `Redis used_memory: before → ${formatInt(g.drainedBuilds)} queued → all acked`,
      `${g.memory.beforeMb} → ${g.memory.peakMb} → ${g.memory.afterMb} MB (${perBuild} B a settled build, kept for the retention)`,
      'flat (after ≤ before + 10 MB)',
      verdict(g.memory.afterMb <= g.memory.beforeMb + 10),
    ]);
    if (g.memory.afterRetentionMb !== undefined) {
      rows.push([
        `Redis used_memory once the ${g.memory.retentionSeconds} s retention passed`,
        `${g.memory.afterRetentionMb} MB (${formatInt(g.memory.keysAfterRetention)} keys, stream ${formatInt(g.memory.streamLengthAfter)} entries)`,
        'flat (≤ before + 10 MB)',
        verdict(g.memory.afterRetentionMb <= g.memory.beforeMb + 10),
      ]);
    }
  }
  return rows;
}

const HEADERS = ['figure', 'measured', 'target', 'verdict'];

export function formatReport(results: BenchResults): { text: string; markdown: string } {
  const rows = reportRows(results);
  const parts = rows.length > 0 ? [{ text: textTable(HEADERS, rows), markdown: markdownTable(HEADERS, rows) }] : [];
  if (results.shards) parts.push(formatShards(results.shards));
  return { text: parts.map((p) => p.text).join('\n\n'), markdown: parts.map((p) => p.markdown).join('\n\n') };
}
