import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The quick start keeps its state (keys, embedded database, Redis files) in `<repo>/.data`, git-ignored. */
export function dataDir(sub = ''): string {
  // This file lives at apps/broker/{src,dist}/quickstart/; the repo root is four levels up.
  const root = process.env.BROKER_DATA_DIR ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../.data');
  const dir = sub ? resolve(root, sub) : root;
  mkdirSync(dir, { recursive: true });
  return dir;
}
