import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from '../lib/repo.js';

/**
 * CI runs the small chaos run through this test: real brokers, Redis and SDK workers killed
 * while 500 builds (and 40 with blockedBy, stopped by the run as Screwdriver would) flow; it fails on any ledger violation (exit 1) or a timeout/setup error (2).
 * Needs `pnpm build` first (the broker runs from apps/broker/dist).
 */
const CHAOS = fileURLToPath(new URL('../chaos.ts', import.meta.url));

describe('pnpm chaos --small', () => {
  it('loses no build, doubles none, keeps FIFO and the blockedBy rules', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHAOS, '--small'], {
        cwd: PACKAGE_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, output }));
    });
    expect(code, output.slice(-4000)).toBe(0);
    expect(output).toContain('chaos: passed');
  }, 240_000);
});
