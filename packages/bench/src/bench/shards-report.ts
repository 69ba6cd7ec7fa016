import { formatInt, round } from '../lib/stats.js';
import { markdownTable, textTable } from '../lib/table.js';
import type { ShardFigures, ShardMemory, ShardRow } from '../scenarios/shards.js';

/** What the paper estimate assumes beyond what was measured. */
export const ESTIMATE_ASSUMPTIONS = {
  /** share of one core a Redis main thread, or a broker replica, is planned to use */
  coreBudget: 0.7,
  /** maxmemory of each shard's master */
  maxMemoryBytes: 4 * 2 ** 30,
  /** share of maxmemory planned for queued builds (the rest: settled builds kept for the retention, headroom) */
  memoryBudget: 0.7,
  shards: [1, 3, 6, 12],
  brokerReplicas: [1, 2, 4, 8],
};

const SHARD_HEADERS = [
  'setup',
  'brokers',
  'builds/s',
  'Redis CPU µs/build (gross)',
  'Redis idle CPU %',
  'per shard µs/build',
  'Redis cmds/build',
  'load per shard (cmds)',
  'queues per shard',
  'broker CPU µs/build',
];

function shardRow(row: ShardRow): string[] {
  return [
    row.setup,
    String(row.brokers),
    formatInt(row.perSecond),
    `${formatInt(row.redisUsPerBuild)} (${formatInt(row.grossRedisUsPerBuild)})`,
    String(row.idleRedisCpuPercent),
    row.shards.map((s) => formatInt(s.cpuUsPerBuild)).join(' / '),
    String(row.commandsPerBuild),
    `${row.shards.map((s) => Math.round(s.commandShare)).join('/')} %`,
    row.queuesByShard.join('/'),
    formatInt(row.brokerUsPerBuild),
  ];
}

/** The measured inputs of the estimate: the three-master row with one broker, else the closest there is. */
export function estimateInputs(figures: ShardFigures): {
  row: ShardRow;
  memory: ShardMemory;
  skew: number;
} | null {
  const pick = (setup: string) => figures.rows.find((r) => r.setup === setup && r.brokers === 1);
  const row = pick('cluster, 3 masters') ?? pick('cluster, 1 master') ?? pick('one Redis');
  const memory = figures.memory.find((m) => m.setup === 'cluster, 3 masters') ?? figures.memory[0];
  if (!row || !memory) return null;
  // The hottest shard limits a cluster: with an even spread its share is 1/N (skew 1).
  const hottest = Math.max(...row.shards.map((s) => s.commandShare)) / 100;
  return { row, memory, skew: round(hottest * row.shards.length, 2) };
}

function estimateRows(figures: ShardFigures): { inputs: string; rows: string[][] } | null {
  const found = estimateInputs(figures);
  if (!found) return null;
  const { row, memory, skew } = found;
  const a = ESTIMATE_ASSUMPTIONS;
  const perReplica = (a.coreBudget * 1e6) / row.brokerUsPerBuild;
  const inputs =
    `Redis ${formatInt(row.redisUsPerBuild)} µs CPU a build (net of the idle brokers' ${row.idleRedisCpuPercent} %) and broker ${formatInt(row.brokerUsPerBuild)} µs (${row.setup}, ${row.brokers} broker), ` +
    `hottest shard ×${skew} its even share; ${formatInt(memory.bytesPerBuild)} B of Redis memory a queued build (${memory.setup}, ${formatInt(memory.builds)} builds of ${formatInt(figures.payloadBytes)} B); ` +
    `assumed: each Redis master and each broker replica at ${a.coreBudget * 100} % of one core, ${a.maxMemoryBytes / 2 ** 30} GiB maxmemory a shard with ${a.memoryBudget * 100} % for queued builds, queues spread like this run's`;
  const rows = a.shards.map((shards) => {
    const redisCeiling = (shards * a.coreBudget * 1e6) / (row.redisUsPerBuild * (shards > 1 ? skew : 1));
    const queued = (shards * a.maxMemoryBytes * a.memoryBudget) / memory.bytesPerBuild;
    return [
      String(shards),
      formatInt(redisCeiling),
      formatInt(queued),
      a.brokerReplicas.map((r) => formatInt(Math.min(redisCeiling, r * perReplica))).join(' / '),
    ];
  });
  return { inputs, rows };
}

const ESTIMATE_HEADERS = [
  'shards',
  'Redis carries (builds/s)',
  'queued builds',
  `builds/s with ${ESTIMATE_ASSUMPTIONS.brokerReplicas.join(' / ')} broker replicas`,
];

/** The shard rows and the paper estimate, as terminal text and as Markdown. */
export function formatShards(figures: ShardFigures): { text: string; markdown: string } {
  const rows = figures.rows.map(shardRow);
  const memory = figures.memory.map(
    (m) =>
      `Redis used_memory a queued build, ${m.setup}: ${formatInt(m.bytesPerBuild)} B (${formatInt(m.builds)} builds; ${m.shareByShard.join('/')} % by master)`,
  );
  const head = `shards: ${formatInt(figures.jobs)} builds a row (~${formatInt(figures.payloadBytes)} B start messages) over ${figures.clusters.length} clusters`;
  const estimate = estimateRows(figures);
  const text = [head, textTable(SHARD_HEADERS, rows), ...memory];
  const markdown = [head, '', markdownTable(SHARD_HEADERS, rows), '', ...memory.map((m) => `- ${m}`)];
  if (estimate) {
    text.push('', `paper estimate; inputs: ${estimate.inputs}`, textTable(ESTIMATE_HEADERS, estimate.rows));
    markdown.push('', `Paper estimate; inputs: ${estimate.inputs}`, '', markdownTable(ESTIMATE_HEADERS, estimate.rows));
  }
  return { text: text.join('\n'), markdown: markdown.join('\n') };
}
