import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYERS } from './app.js';
import config from './plugins/app/config.js';

const SRC = fileURLToPath(new URL('.', import.meta.url));

interface PluginSource {
  file: string;
  name: string;
  declared: string[];
  decorates: string[];
  uses: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Every file that defines a plugin with fastify-plugin, directly or through routes/route-kit.ts's
 * `routePlugin`: its name, declared dependencies, decorators made and used.
 */
function pluginSources(): PluginSource[] {
  return sourceFiles(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    if (!text.includes("from 'fastify-plugin'") && !/\broutePlugin\(/.test(text)) return [];
    const meta = [...text.matchAll(/\{\s*name: '([\w-]+)'(?:,\s*dependencies: \[([^\]]*)\])?\s*\}/g)].at(-1);
    if (!meta) return [];
    const declared = [...(meta[2] ?? '').matchAll(/'([\w-]+)'/g)].map((m) => m[1]!);
    const decorates = [...text.matchAll(/\.decorate(?:Request|Reply)?\(\s*'(\w+)'/g)].map((m) => m[1]!);
    const uses = [...text.matchAll(/\b(?:app|root|request)\.(\w+)/g)].map((m) => m[1]!);
    return [{ file: relative(SRC, file), name: meta[1]!, declared, decorates, uses: [...new Set(uses)] }];
  });
}

const metaOf = (plugin: unknown) =>
  (plugin as Record<symbol, { name?: string; dependencies?: string[] } | undefined>)[Symbol.for('plugin-meta')] ?? {};

describe('the layers of plugins', () => {
  const sources = pluginSources();
  const owner = new Map(sources.flatMap((s) => s.decorates.map((d) => [d, s.name] as const)));

  it('name every plugin, and list each only after the plugins it depends on', () => {
    const registered = new Set<string>();
    for (const plugin of [config, ...Object.values(LAYERS).flat()]) {
      const { name, dependencies = [] } = metaOf(plugin);
      expect(name, 'a plugin without a name').toBeTruthy();
      for (const dependency of dependencies) expect(registered, `${name} needs ${dependency} first`).toContain(dependency);
      registered.add(name!);
    }
  });

  it.each(sources.map((s) => [s.file, s] as const))('%s declares every plugin whose decorators it uses', (_file, source) => {
    const needed = source.uses.map((d) => owner.get(d)).filter((o): o is string => o !== undefined && o !== source.name);
    expect(source.declared).toEqual(expect.arrayContaining([...new Set(needed)]));
  });
});
