import { parseFlags, intFlag, listFlag } from '../lib/args.js';

export const SECTIONS = ['peers', 'throughput', 'latency', 'idle', 'growth', 'profile'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  jobs: number;
  rounds: number;
  clusters: number[];
  sections: Set<Section>;
  polls: number;
  latencyBuilds: number;
  /** backlogs of the growth section, smallest first */
  backlogs: number[];
  growthJobs: number;
  /** the broker workers' poll batch size */
  max: number;
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
  --polls N                waiting polls for idle capacity (default 10000)
  --latency-builds N       builds for dispatch latency (default 2000)
  --backlog N              the large backlog of the growth section (default 1000000; also 1m, 100k)
  --growth-jobs N          builds measured at each backlog (default: --jobs)
  --max N                  the workers' poll batch size (default 100; 1 takes one build per poll)
  --report FILE            print the table of a saved bench-results/bench-*.json again, run nothing
`;

export function benchOptions(argv: string[]): BenchOptions | 'help' {
  const flags = parseFlags(argv, [
    'quick',
    'jobs',
    'rounds',
    'clusters',
    'skip',
    'only',
    'polls',
    'latency-builds',
    'backlog',
    'growth-jobs',
    'max',
    'report',
    'help',
  ]);
  if (flags.has('help')) return 'help';
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
    polls: intFlag(flags, 'polls', quick ? 1000 : 10_000),
    latencyBuilds: intFlag(flags, 'latency-builds', quick ? 500 : 2000),
    backlogs: [Math.min(1000, backlog), backlog],
    growthJobs: intFlag(flags, 'growth-jobs', jobs),
    max: intFlag(flags, 'max', 100),
    report: typeof flags.get('report') === 'string' ? (flags.get('report') as string) : null,
    quick,
  };
}
