import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Builds the dashboard the broker serves, so the tests always drive the current code. */
export default function globalSetup(): void {
  const dashboard = fileURLToPath(new URL('../apps/dashboard/', import.meta.url));
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync(`${dashboard}dist/index.html`)) return;
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], {
    cwd: dashboard,
    stdio: 'inherit',
  });
}
