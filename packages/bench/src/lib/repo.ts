import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The monorepo root (this file is packages/bench/src/lib/repo.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** This package's folder: the working directory of its child processes, so `--import tsx` resolves. */
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

export const RESULTS_DIR = `${REPO_ROOT}bench-results/`;

export const BROKER_SERVER = `${REPO_ROOT}apps/broker/dist/server.js`;

export function requireBuiltBroker(): void {
  if (!existsSync(BROKER_SERVER)) {
    throw new Error(`${BROKER_SERVER} is missing: run "pnpm build" at the repo root first`);
  }
}
