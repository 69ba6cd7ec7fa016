import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BROKER_SERVER, REPO_ROOT, WORKER_BIN } from '../harness/paths.js';

/**
 * Makes sure the real Screwdriver API is installed (scripts/lib.sh ensure_screwdriver_api: npm ci
 * when missing or when its lock changed) and that the broker and worker were built.
 */
export default function setup(): void {
  execFileSync('bash', ['-c', 'source scripts/lib.sh && ensure_screwdriver_api'], { cwd: REPO_ROOT, stdio: 'inherit' });
  for (const file of [BROKER_SERVER, WORKER_BIN.replace(/bin\/buildcluster-worker\.js$/, 'dist/cli.js')]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "pnpm build" first`);
  }
}
