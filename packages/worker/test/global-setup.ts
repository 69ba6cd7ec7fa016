import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The integration tests run the CLI the way users do (bin → dist), so compile the package (and
 * the protocol package it references) before any test file runs.
 */
export default function setup(): void {
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'inherit' });
}
