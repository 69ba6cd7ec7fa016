import { fileURLToPath } from 'node:url';

const at = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export const REPO_ROOT = at('../../../');
export const PACKAGE_DIR = at('../');
/** The npm project holding the real screwdriver-api (outside the pnpm workspace). */
export const SD_API_DIR = at('../sd-api/');
export const SD_API_SERVER = at('../sd-api/node_modules/screwdriver-api/bin/server');
export const SD_API_CONFIG_DIR = at('../sd-api/node_modules/screwdriver-api/config');
/** The broker's production start and the worker CLI, as built by `pnpm build`. */
export const BROKER_SERVER = at('../../../apps/broker/dist/server.js');
export const WORKER_BIN = at('../../worker/bin/buildcluster-worker.js');
export const LAUNCHER = at('../launcher/launcher.mjs');
