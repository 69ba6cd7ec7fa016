import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from '../lib/repo.js';
import type { ChaosOptions } from './options.js';
import type { Failover } from './failover.js';
import type { FailoverFigures } from './failover-report.js';
import type { ChaosFigures, Violation } from './verify.js';

/**
 * The small chaos run on a local Redis Cluster (3 masters + 3 replicas on ports 21320-21325,
 * min-replicas-to-write 1, brokers with REDIS_WAIT_REPLICAS=1): besides the kills of the one-Redis
 * run, a master is SIGKILLed mid-run while its replica lags, the replica is promoted and the
 * master comes back as a replica. The test reads the run's verdict.json: no violation of the
 * ledger, every build posted and acked, and a failover whose shard took writes again.
 * Needs `pnpm build` first (the broker runs from apps/broker/dist).
 */
const CHAOS = fileURLToPath(new URL('../chaos.ts', import.meta.url));

interface VerdictFile {
  options: ChaosOptions;
  figures: ChaosFigures;
  violations: Violation[];
  failovers?: Array<Failover & { failures: FailoverFigures }>;
}

describe('pnpm chaos --redis-cluster --small', () => {
  it('loses no build and doubles none across a master failover', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CHAOS, '--redis-cluster', '--small', '--redis-base-port', '21320'],
        { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, output }));
    });
    const tail = output.slice(-4000);
    const runDir = /ledger and logs: (\S+)/.exec(output)?.[1];
    expect(runDir, tail).toBeDefined();
    const verdict = JSON.parse(readFileSync(join(runDir!, 'verdict.json'), 'utf8')) as VerdictFile;
    const { options, figures } = verdict;

    expect(verdict.violations, tail).toEqual([]);
    expect(figures.builds, tail).toBe(options.builds + options.churnBuilds + options.rulesBuilds);
    expect(figures.ackedExactlyOnce + figures.ackedAnswerLost).toBe(figures.builds);
    expect(verdict.failovers, tail).toHaveLength(1);
    const [failover] = verdict.failovers!;
    expect(failover!.promoted).not.toBe(failover!.killed);
    expect(failover!.writesResumedAfterMs, tail).not.toBeNull();
    // While the shard had no master, requests on it were refused (503), never failed (500).
    expect(failover!.failures.other5xx, tail).toBe(0);
    expect(code, tail).toBe(0);
    expect(output).toContain('chaos: passed');
  }, 180_000);
});
