import type { AckMode } from '../roles/broker-config.js';
import { parseCommandFlags, intFlag, listFlag } from '../lib/args.js';

export const SECTIONS = ['peers', 'throughput', 'floor', 'latency', 'rules', 'idle', 'growth', 'shards', 'profile'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  jobs: number;
  rounds: number;
  clusters: number[];
  sections: Set<Section>;
  /** waiting polls of the idle section; null: as many as the broker's open-files limit allows */
  polls: number | null;
  /** builds posted one at a time to wake a parked poll, with all the idle section's polls waiting */
  wakeBuilds: number;
  latencyBuilds: number;
  /** posts of each variant in the blockedBy cost section */
  rulesBuilds: number;
  /** backlogs of the growth section, smallest first */
  backlogs: number[];
  growthJobs: number;
  /** the broker workers' poll batch size */
  max: number;
  /** how the broker workers ack each batch */
  acks: AckMode;
  /** builds per row of the shards section, clusters they spread over, builds queued for its memory figure */
  shardJobs: number;
  shardClusters: number;
  shardMemoryBuilds: number;
  /** first port of the shards section's Redis Clusters (each takes its nodes' ports, and +10000 for the bus) */
  shardBasePort: number;
  /** a saved results file to print again */
  report: string | null;
  quick: boolean;
}

export const BENCH_HELP = `pnpm bench [flags]     (after "pnpm build"; progress on stderr, the table on stdout, JSON in bench-results/)
  --quick                  a fast run: 2,000 jobs, 1 round, 1,000 waiting polls, backlogs 1k and 20k
  --jobs N                 jobs per end-to-end run, for every system (default 20000)
  --rounds N               end-to-end rounds, round robin over the systems; medians reported (default 3)
  --clusters 1,10,100      cluster counts of the broker's end-to-end runs
  --skip a,b               leave out sections: ${SECTIONS.join(', ')}
  --only a,b               run only these sections
  --rules-builds N         posts with blockedBy, and as many without, for the blockedBy cost (default 4000)
  --polls N                waiting polls for idle capacity (default: the broker's open-files limit less 1,000,
                           19,000 with ulimit -n 20000; clamped to that)
  --wake-builds N          builds that each wake a parked poll, with all those polls waiting (default 500)
  --latency-builds N       builds for dispatch latency (default 2000)
  --backlog N              the large backlog of the growth section (default 1000000; also 1m, 100k)
  --growth-jobs N          builds measured at each backlog (default: --jobs)
  --max N                  the workers' poll batch size (default 100; 1 takes one build per poll)
  --acks carried|apart     how the broker workers ack a batch: carried by their next poll (default), or
                           apart, by a call of its own
  --shard-jobs N           builds per row of the shards section (default 5000)
  --shard-clusters N       clusters the shards section's builds spread over (default 12)
  --shard-memory-builds N  builds queued to measure Redis memory a queued build (default 5000)
  --shard-base-port N      first port of the shards section's Redis Clusters (default 21400; 10 nodes, bus ports +50)
  --report FILE            print the table of a saved bench-results/bench-*.json again, run nothing
`;

function ackMode(raw: string | true | undefined): AckMode {
  if (raw === undefined) return 'carried';
  if (raw === 'carried' || raw === 'apart') return raw;
  throw new Error(`--acks is carried or apart, got "${String(raw)}"`);
}

export function benchOptions(argv: string[]): BenchOptions | 'help' {
  const flags = parseCommandFlags(argv, [
    'quick',
    'jobs',
    'rounds',
    'clusters',
    'skip',
    'only',
    'polls',
    'wake-builds',
    'latency-builds',
    'rules-builds',
    'backlog',
    'growth-jobs',
    'max',
    'acks',
    'shard-jobs',
    'shard-clusters',
    'shard-memory-builds',
    'shard-base-port',
    'report',
  ]);
  if (flags === 'help') return flags;
  const quick = flags.has('quick');
  const check = (names: string[]) => {
    for (const name of names)
      if (!(SECTIONS as readonly string[]).includes(name))
        throw new Error(`unknown section "${name}"; sections: ${SECTIONS.join(', ')}`);
    return names as Section[];
  };
  const only = check(listFlag(flags, 'only'));
  const skip = check(listFlag(flags, 'skip'));
  const sections = new Set<Section>((only.length > 0 ? only : SECTIONS).filter((s) => !skip.includes(s)));
  const jobs = intFlag(flags, 'jobs', quick ? 2000 : 20_000);
  const clusters = listFlag(flags, 'clusters').map(Number);
  const backlog = intFlag(flags, 'backlog', quick ? 20_000 : 1_000_000);
  return {
    jobs,
    rounds: intFlag(flags, 'rounds', quick ? 1 : 3),
    clusters: clusters.length > 0 ? clusters : [1, 10, 100],
    sections,
    polls: flags.has('polls') ? intFlag(flags, 'polls', 0) : quick ? 1000 : null,
    wakeBuilds: intFlag(flags, 'wake-builds', 500),
    latencyBuilds: intFlag(flags, 'latency-builds', quick ? 500 : 2000),
    rulesBuilds: intFlag(flags, 'rules-builds', quick ? 1000 : 4000),
    backlogs: [Math.min(1000, backlog), backlog],
    growthJobs: intFlag(flags, 'growth-jobs', jobs),
    max: intFlag(flags, 'max', 100),
    acks: ackMode(flags.get('acks')),
    shardJobs: intFlag(flags, 'shard-jobs', quick ? 2000 : 5000),
    shardClusters: intFlag(flags, 'shard-clusters', 12),
    shardMemoryBuilds: intFlag(flags, 'shard-memory-builds', quick ? 2000 : 5000),
    shardBasePort: intFlag(flags, 'shard-base-port', 21_400),
    report: typeof flags.get('report') === 'string' ? (flags.get('report') as string) : null,
    quick,
  };
}
