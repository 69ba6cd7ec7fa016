import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExecutorConfig } from './config.js';
import type { BuildMessage, ExecutorSet, NamedExecutor, SdExecutor } from './types.js';

const require = createRequire(import.meta.url);

/** `--executor` names an executor of the config (`k8s`, `k8s-vm`, ...) or is a path to a module. */
export function isExecutorPath(spec: string): boolean {
  return spec.includes('/') || spec.startsWith('.') || /\.(c|m)?js$/.test(spec);
}

export const EXECUTOR_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** The name a path's executor goes by in the config and the log: its file name without extension. */
export function pathExecutorName(path: string): string {
  return basename(path, extname(path));
}

function checkExecutor(value: unknown, what: string): SdExecutor {
  const missing = ['start', 'stop', 'verify'].filter((m) => typeof (value as Record<string, unknown>)?.[m] !== 'function');
  if (missing.length > 0) {
    throw new Error(`${what} is not a Screwdriver executor (no ${missing.join(', ')} method; extend screwdriver-executor-base)`);
  }
  return value as SdExecutor;
}

/**
 * A local module exporting an executor class (module.exports = class, or a default export):
 * constructed with the options of its entry in the config, plus the ecosystem, as the router
 * constructs its plugins.
 */
export async function loadExecutorModule(path: string, config: ExecutorConfig): Promise<ExecutorSet> {
  const file = resolve(path);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot load the executor module ${file}: ${(err as Error).message}`);
  }
  const ExecutorClass = loaded.default ?? loaded;
  if (typeof ExecutorClass !== 'function') throw new Error(`${file} exports no executor class`);
  const entry = config.executors.find((e) => e.name === config.defaultPlugin)!;
  const instance = new (ExecutorClass as new (options: unknown) => unknown)({ ecosystem: config.ecosystem, ...entry.options });
  const named: NamedExecutor = { name: config.defaultPlugin, executor: checkExecutor(instance, file) };
  return { description: `module ${file}`, pick: () => named, all: () => [named] };
}

interface Router extends SdExecutor {
  getExecutor(message: BuildMessage): SdExecutor | undefined;
  [name: string]: unknown;
}

/**
 * screwdriver-executor-router with the configured executors. The router requires each plugin as
 * `screwdriver-executor-<pluginName>` from its own folder, where a strict node_modules layout
 * (pnpm) does not put its siblings; so its search paths get this package's node_modules and the
 * working directory's, where an admin may install a plugin of their own.
 */
export function loadRouter(config: ExecutorConfig): ExecutorSet {
  const routerPath = require.resolve('screwdriver-executor-router');
  const RouterClass = require(routerPath) as new (options: unknown) => Router;
  const routerModule = require.cache[routerPath];
  const ownModules = join(dirname(require.resolve('screwdriver-executor-base/package.json')), '..', '..');
  const extra = [join(dirname(routerPath), '..'), ownModules, join(process.cwd(), 'node_modules')];
  if (routerModule) for (const dir of extra) if (!routerModule.paths.includes(dir)) routerModule.paths.push(dir);

  const router = new RouterClass({
    defaultPlugin: config.defaultPlugin,
    executor: config.executors,
    ecosystem: config.ecosystem,
  });
  // The router only logs a plugin it could not load and goes on without it: refuse to start instead.
  const all: NamedExecutor[] = config.executors.map(({ name, pluginName }) => {
    const executor = router[name];
    if (executor === undefined) {
      const pkg = `screwdriver-executor-${pluginName ?? name}`;
      let why = 'it did not load';
      try {
        require.resolve(pkg, { paths: extra });
      } catch (err) {
        why = (err as Error).message.split('\n')[0]!;
      }
      throw new Error(`executor "${name}" needs the package ${pkg}, which could not be loaded (${why})`);
    }
    return { name, executor: checkExecutor(executor, `executor "${name}"`) };
  });
  const byInstance = new Map(all.map((n) => [n.executor, n]));
  const fallback = all.find((n) => n.name === config.defaultPlugin)!;
  const names = all.map((n) => n.name).join(', ');
  return {
    description: `screwdriver-executor-router (${names}; default ${config.defaultPlugin})`,
    pick: (message) => byInstance.get(router.getExecutor(message) as SdExecutor) ?? fallback,
    all: () => all,
  };
}
