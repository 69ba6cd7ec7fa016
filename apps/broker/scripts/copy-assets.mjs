// Copies what tsc does not: Lua scripts and migration snapshots, next to the compiled code.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function copy(dir) {
  for (const entry of readdirSync(dir)) {
    const from = join(dir, entry);
    if (statSync(from).isDirectory()) copy(from);
    else if (/\.(lua|json)$/.test(entry)) cpSync(from, from.replace(/^src/, 'dist'));
  }
}
if (existsSync('src')) copy('src');
