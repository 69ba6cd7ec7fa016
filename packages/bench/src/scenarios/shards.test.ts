import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from '../lib/repo.js';
import type { BenchResults } from '../bench/results.js';

/**
 * CI runs the shards section at a tiny size: real brokers on one Redis and on local Redis Clusters
 * of 1 and 3 masters (and 3+3 with REDIS_WAIT_REPLICAS), every row measured, the load on three
 * masters spread over all three. Needs `pnpm build` first (the broker runs from apps/broker/dist).
 */
const BENCH = fileURLToPath(new URL('../bench.ts', import.meta.url));
const ARGS = ['--only', 'shards', '--shard-jobs', '300', '--shard-memory-builds', '300', '--shard-base-port', '21420'];

describe('pnpm bench --only shards', () => {
  it('measures every row and spreads the load over the shards', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', BENCH, ...ARGS], {
        cwd: PACKAGE_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, stdout, stderr }));
    });
    expect(code, `${stdout}\n${stderr.slice(-4000)}`).toBe(0);
    const file = /^results: (.+)$/m.exec(stdout)?.[1];
    expect(file, stdout).toBeTruthy();
    const { shards } = JSON.parse(readFileSync(file!, 'utf8')) as BenchResults;
    expect(shards?.rows.map((r) => `${r.setup}/${r.brokers}`)).toEqual([
      'one Redis/1',
      'one Redis/2',
      'cluster, 1 master/1',
      'cluster, 1 master/2',
      'cluster, 3 masters/1',
      'cluster, 3 masters/2',
      'cluster, 3+3, WAIT 1/1',
    ]);
    for (const row of shards!.rows) {
      expect(row.perSecond, row.setup).toBeGreaterThan(0);
      // The net figure subtracts the idle brokers' rate and is clamped at 0 per node, so on a busy
      // machine it can reach 0; what the run itself cost is the gross figure.
      expect(row.grossRedisUsPerBuild, row.setup).toBeGreaterThan(0);
      expect(row.redisUsPerBuild, row.setup).toBeGreaterThanOrEqual(0);
      expect(row.redisUsPerBuild, row.setup).toBeLessThanOrEqual(row.grossRedisUsPerBuild);
      expect(row.commandsPerBuild, row.setup).toBeGreaterThan(1);
      const share = row.shards.reduce((sum, s) => sum + s.commandShare, 0);
      expect(share, row.setup).toBeCloseTo(100, 0);
      const masters = row.setup.startsWith('cluster, 3') ? 3 : 1;
      expect(row.shards, row.setup).toHaveLength(masters);
      // 12 clusters over three masters: no shard idle, none carrying nearly all of it.
      for (const shard of row.shards) {
        expect(shard.commandShare, `${row.setup} ${shard.shard}`).toBeGreaterThan(masters === 3 ? 10 : 99);
        expect(shard.cpuUsPerBuild, `${row.setup} ${shard.shard}`).toBeGreaterThanOrEqual(0);
        expect(shard.commandsPerBuild, `${row.setup} ${shard.shard}`).toBeGreaterThan(0);
      }
    }
    // Each queued build keeps at least its ~2 KB message in Redis.
    expect(shards!.memory.map((m) => m.setup)).toEqual(['one Redis', 'cluster, 3 masters']);
    for (const m of shards!.memory) expect(m.bytesPerBuild, m.setup).toBeGreaterThan(shards!.payloadBytes);
    expect(stdout).toContain('paper estimate; inputs:');
  }, 420_000);
});
