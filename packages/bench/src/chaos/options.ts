import { parseFlags, intFlag } from '../lib/args.js';

export interface ChaosOptions {
  builds: number;
  clusters: number;
  workers: number;
  workerConcurrency: number;
  /** posts per second over all clusters */
  rate: number;
  leaseMs: number;
  seed: number;
  timeoutSeconds: number;
  buildMinMs: number;
  buildMaxMs: number;
  /** unnamed builds of the churn clusters, deleted and registered again while builds flow */
  churnBuilds: number;
  small: boolean;
}

export const CHAOS_HELP = `pnpm chaos [flags]
  --small            CI size: 500 builds, 5 workers, ~30 s of flow, under ~3 minutes in all
  --builds N         builds to post (default 10000; 500 with --small)
  --clusters N       clusters (default 5)
  --workers N        worker processes (default 10; 5 with --small)
  --rate N           posts per second (default: builds spread over ~70 s; ~30 s with --small)
  --churn-builds N   builds for the churn clusters, deleted and registered again meanwhile
                     (default 10% of --builds)
  --lease-ms N       the brokers' LEASE_MS (default 2000)
  --seed N           seed of the random choices (default 1)
  --timeout S        give up after S seconds (default 900; 170 with --small)
`;

export function chaosOptions(argv: string[]): ChaosOptions | 'help' {
  const flags = parseFlags(argv, [
    'small',
    'builds',
    'clusters',
    'workers',
    'rate',
    'lease-ms',
    'seed',
    'timeout',
    'churn-builds',
    'help',
  ]);
  if (flags.has('help')) return 'help';
  const small = flags.has('small');
  const builds = intFlag(flags, 'builds', small ? 500 : 10_000);
  const rate = intFlag(flags, 'rate', Math.max(5, Math.round(builds / (small ? 30 : 70))));
  return {
    builds,
    clusters: intFlag(flags, 'clusters', 5),
    workers: intFlag(flags, 'workers', small ? 5 : 10),
    workerConcurrency: 4,
    rate,
    leaseMs: intFlag(flags, 'lease-ms', 2000),
    seed: intFlag(flags, 'seed', 1),
    timeoutSeconds: intFlag(flags, 'timeout', small ? 170 : 900),
    buildMinMs: 5,
    buildMaxMs: 60,
    churnBuilds: intFlag(flags, 'churn-builds', Math.round(builds / 10)),
    small,
  };
}
