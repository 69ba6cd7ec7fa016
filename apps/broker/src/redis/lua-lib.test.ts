import { readFileSync, readdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { helpersFor, parseLib } from './lua-lib.js';

const LIB = `-- The file's own header.

local A, B = 'a', 'b'

-- Adds one.
local function inc(x)
  -- inside
  return x + 1
end

local function twice(x)

  return inc(inc(x))
end

local function unused()
  return B
end
`;

describe('lua-lib', () => {
  const lib = parseLib(LIB);

  it('cuts the lib into its top-level definitions, each with the comment above it', () => {
    expect(lib.map((d) => d.names)).toEqual([['A', 'B'], ['inc'], ['twice'], ['unused']]);
    expect(lib[1]?.text).toContain('-- Adds one.');
    expect(lib[1]?.text).toContain('-- inside');
    expect(lib[2]?.text).toContain('return inc(inc(x))');
  });

  it('gives a script the helpers it calls and theirs, in the lib order, and nothing else', () => {
    const helpers = helpersFor(lib, 'return twice(1)');
    expect(helpers.indexOf('local function inc')).toBeGreaterThanOrEqual(0);
    expect(helpers.indexOf('local function inc')).toBeLessThan(helpers.indexOf('local function twice'));
    expect(helpers).not.toContain('unused');
    expect(helpers).not.toContain('local A, B');
    expect(helpersFor(lib, 'return { A, unused() }')).toContain("local A, B = 'a', 'b'");
  });

  it('does not count a name in a comment or as a field', () => {
    expect(helpersFor(lib, '-- twice(1)\nreturn t.inc')).toBe('');
  });

  it('every script of every folder runs with only its helpers (none refers to a missing one)', async () => {
    const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
    try {
      for (const folder of ['../queue/storage/lua/', '../screwdriver/lua/']) {
        const dir = new URL(folder, import.meta.url);
        const definitions = parseLib(readFileSync(new URL('_lib.lua', dir), 'utf8'));
        const names = definitions.flatMap((d) => d.names);
        for (const file of readdirSync(dir).filter((f) => /^[a-z-]+-(\d+|n)\.lua$/.test(f))) {
          const body = readFileSync(new URL(file, dir), 'utf8');
          const lua = `${helpersFor(definitions, body)}\n\n${body}`;
          // Compiles, and every lib name the script uses is defined before the script's code.
          await expect(redis.script('LOAD', lua), file).resolves.toMatch(/^[0-9a-f]{40}$/);
          for (const name of names) {
            if (new RegExp(`(^|[^\\w.:])${name}\\b`).test(body.replace(/--[^\n]*/g, ''))) {
              expect(lua, `${file} uses ${name}`).toMatch(new RegExp(`local (function )?[\\w, ]*\\b${name}\\b`));
            }
          }
        }
      }
    } finally {
      redis.disconnect();
    }
  });
});
