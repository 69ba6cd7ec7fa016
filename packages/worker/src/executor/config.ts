import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ECOSYSTEM_VARIABLES, EXECUTOR_VARIABLES, applyVariables, type ConfigObject } from './env-overlay.js';

/** One executor as the router takes it (`screwdriver-executor-router`'s `executor[]`). */
export interface ExecutorEntry {
  name: string;
  pluginName?: string;
  weightage?: number | string;
  exclusions?: string[];
  options: ConfigObject;
}

export interface ExecutorConfig {
  /** The executor used when no annotation or weight picks one. */
  defaultPlugin: string;
  executors: ExecutorEntry[];
  ecosystem: ConfigObject;
  /** Environment variables that changed the config, for the startup log. */
  variablesUsed: string[];
}

type Env = Record<string, string | undefined>;

/**
 * The executor config, built the way buildcluster-queue-worker builds it: the file (YAML or JSON;
 * either its whole `executor:`/`ecosystem:` document or just the `executor` section), then the
 * same environment variables on top, then `defaultPlugin` (from `--executor`) over `plugin`.
 * Every executor named in the file is loaded, and the default one even when the file omits it.
 */
export function loadExecutorConfig(options: {
  file?: string;
  /** From `--executor NAME`; otherwise `EXECUTOR_PLUGIN`, then the file's `plugin`, then `fallback`. */
  defaultPlugin?: string;
  fallback: string;
  env: Env;
}): ExecutorConfig {
  const { file, env } = options;
  const document = file === undefined ? {} : readDocument(file);
  const hasSections = 'executor' in document || 'ecosystem' in document;
  const section = object(hasSections ? (document.executor ?? {}) : document, file, 'executor');
  const ecosystem = structuredClone(object(hasSections ? (document.ecosystem ?? {}) : {}, file, 'ecosystem'));
  const used = applyVariables(ecosystem, ECOSYSTEM_VARIABLES, env);

  const plugin = options.defaultPlugin ?? (env.EXECUTOR_PLUGIN || undefined) ?? section.plugin ?? options.fallback;
  if (typeof plugin !== 'string' || plugin === '') {
    throw new Error('no executor named: pass --executor NAME, set EXECUTOR_PLUGIN, or give the config a `plugin`');
  }
  const names = Object.keys(section).filter((key) => key !== 'plugin');
  if (!names.includes(plugin)) names.push(plugin);
  const executors = names.map((name): ExecutorEntry => {
    const entry = structuredClone(object(section[name] ?? {}, file, `executor.${name}`));
    used.push(...applyVariables(entry, EXECUTOR_VARIABLES[name] ?? [], env));
    return toRouterEntry(name, entry, file);
  });
  return { defaultPlugin: plugin, executors, ecosystem, variablesUsed: [...new Set(used)] };
}

function readDocument(file: string): ConfigObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new Error(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    parsed = parseYaml(text);
  } catch (err) {
    throw new Error(`${file} is neither valid YAML nor JSON (${(err as Error).message})`);
  }
  return object(parsed ?? {}, file, 'the document');
}

function object(value: unknown, file: string | undefined, what: string): ConfigObject {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as ConfigObject;
  throw new Error(`${file ?? 'the executor config'}: ${what} must be a mapping, got ${JSON.stringify(value)}`);
}

function toRouterEntry(name: string, entry: ConfigObject, file: string | undefined): ExecutorEntry {
  const where = `${file ?? 'the executor config'}: executor.${name}`;
  const out: ExecutorEntry = { name, options: object(entry.options ?? {}, file, `executor.${name}.options`) };
  if (entry.pluginName !== undefined) {
    if (typeof entry.pluginName !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(entry.pluginName)) {
      throw new Error(
        `${where}.pluginName must name a screwdriver-executor-<name> package, got ${JSON.stringify(entry.pluginName)}`,
      );
    }
    out.pluginName = entry.pluginName;
  }
  if (entry.weightage !== undefined) {
    const weightage = entry.weightage;
    if (!((typeof weightage === 'number' || typeof weightage === 'string') && /^\d+$/.test(String(weightage))))
      throw new Error(`${where}.weightage must be a whole number, got ${JSON.stringify(entry.weightage)}`);
    out.weightage = Number(entry.weightage);
  }
  // buildcluster-queue-worker's config says `exclusion`, but the router reads `exclusions`, so
  // its exclusions never applied; take either spelling and hand the router the one it reads.
  const exclusions = entry.exclusions ?? entry.exclusion;
  if (exclusions !== undefined) {
    if (!Array.isArray(exclusions) || !exclusions.every((e) => typeof e === 'string')) {
      throw new Error(`${where}.exclusions must be a list of container patterns, got ${JSON.stringify(exclusions)}`);
    }
    out.exclusions = exclusions;
  }
  return out;
}
