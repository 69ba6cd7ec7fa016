// Copies what tsc does not: Lua scripts and migration snapshots, next to the compiled code. A
// script renamed or removed in src is removed from dist too: the loader defines every
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

function prune(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) prune(path);
    else if (ASSET.test(entry) && !existsSync(path.replace(/^dist/, 'src'))) rmSync(path);
  }
}

if (existsSync('src')) copy('src');
if (existsSync('dist')) prune('dist');
