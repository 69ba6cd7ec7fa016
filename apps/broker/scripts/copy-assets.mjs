// Copies what tsc does not: Lua scripts and migration snapshots, next to the compiled code. A
// script (or a TypeScript file) renamed or removed in src is removed from dist too: the loader defines every
// `name-<numKeys>.lua` it finds, so a stale copy would shadow or duplicate the current one.
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(lua|json)$/;

function copy(dir) {
  for (const entry of readdirSync(dir)) {
    const from = join(dir, entry);
    if (statSync(from).isDirectory()) copy(from);
    else if (ASSET.test(entry)) cpSync(from, from.replace(/^src/, 'dist'));
  }
}

// What tsc compiled from a source since removed (test helpers that moved to packages/testkit, say).
const COMPILED = /\.(?:d\.ts|js)(?:\.map)?$/;

function prune(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const source = path.replace(/^dist/, 'src');
    if (statSync(path).isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else if (ASSET.test(entry) && !existsSync(source)) rmSync(path);
    else if (COMPILED.test(entry) && !existsSync(source.replace(COMPILED, '.ts'))) rmSync(path);
  }
}

if (existsSync('src')) copy('src');
if (existsSync('dist')) prune('dist');
