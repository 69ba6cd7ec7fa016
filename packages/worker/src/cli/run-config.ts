import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { SignOption } from '@buildcluster/protocol';
import { CLUSTER_NAME_PATTERN } from '@buildcluster/protocol/constants';
import { WORKER_ID_PATTERN, defaultWorkerId } from '../client.js';
import { loadExecutorConfig, type ExecutorConfig } from '../executor/config.js';
import { EXECUTOR_NAME_PATTERN, isExecutorPath, pathExecutorName } from '../executor/load.js';
import { parseSignOption } from '../sign-option.js';
import { parseFlags } from './parse.js';
import { UsageError } from './usage.js';

export interface RunConfig {
  brokerUrl: string;
  cluster: string;
  privateKey: string;
  /** Where the key came from, for messages ("--key ./c.key.pem" or "BUILDCLUSTER_PRIVATE_KEY"). */
  keySource: string;
  signOption: SignOption;
  /** Command mode: the command run per message (`--exec`). */
  command?: string;
  /** Executor mode: Screwdriver's executor plugins run in the worker (`--executor`). */
  executor?: ExecutorModeConfig;
  concurrency: number;
  workerId: string;
  pollWaitMs: number;
  /** Where /health and /metrics are served, when asked for. */
  health?: { port: number; host: string };
}

export interface ExecutorModeConfig {
  /** A name of the config's executors (loaded through screwdriver-executor-router), or a module path. */
  spec: string;
  modulePath?: string;
  configFile?: string;
  config: ExecutorConfig;
  startTimeoutMs: number;
  verifySoonMs: number;
}

type Env = Record<string, string | undefined>;

/**
 * `run`'s flags, each with an environment fallback (a flag wins). Keys and sign options may come
 * as files or as text in the environment, because ECS injects secrets as variables, not files.
 */
export function resolveRunConfig(argv: string[], env: Env): RunConfig | 'help' {
  const flags = parseFlags('run', argv, {
    broker: { type: 'string' },
    cluster: { type: 'string' },
    key: { type: 'string' },
    'sign-option': { type: 'string' },
    exec: { type: 'string' },
    executor: { type: 'string' },
    'executor-config': { type: 'string' },
    'start-timeout': { type: 'string' },
    'health-port': { type: 'string' },
    concurrency: { type: 'string' },
    'worker-id': { type: 'string' },
  });
  if (flags.help) return 'help';
  const pick = (flag: string, variable: string): string | undefined => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const required = (flag: string, variable: string, what: string): string => {
    const value = pick(flag, variable);
    if (value === undefined || value.trim() === '')
      throw new UsageError(`--${flag} is required (${what}; or set ${variable})`, 'run');
    return value;
  };

  const brokerUrl = required('broker', 'BUILDCLUSTER_BROKER_URL', "the broker's URL");
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(brokerUrl);
  } catch {
    throw new UsageError(`--broker is not a URL: ${brokerUrl}`, 'run');
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
    throw new UsageError(`--broker must be an http:// or https:// URL, got ${brokerUrl}`, 'run');
  }

  const cluster = required('cluster', 'BUILDCLUSTER_CLUSTER', 'the registered cluster name');
  if (!new RegExp(CLUSTER_NAME_PATTERN).test(cluster)) {
    throw new UsageError(`--cluster "${cluster}" is not a cluster name (letters, digits, . _ -; at most 100)`, 'run');
  }

  const { text: privateKey, source: keySource } = fileOrText(
    flags,
    env,
    'key',
    'BUILDCLUSTER_KEY_FILE',
    'BUILDCLUSTER_PRIVATE_KEY',
    "the cluster's private key file",
    true,
  );
  if (!privateKey.includes('-----BEGIN')) throw new UsageError(`${keySource} does not hold a PEM private key`, 'run');

  const sign = fileOrText(
    flags,
    env,
    'sign-option',
    'BUILDCLUSTER_SIGN_OPTION_FILE',
    'BUILDCLUSTER_SIGN_OPTION',
    'the sign option file from keygen',
  );
  let signOption: SignOption;
  try {
    signOption = parseSignOption(JSON.parse(sign.text), sign.source);
  } catch (err) {
    const message = err instanceof SyntaxError ? `${sign.source} is not valid JSON (${err.message})` : (err as Error).message;
    throw new UsageError(message, 'run');
  }

  const command = pick('exec', 'BUILDCLUSTER_EXEC');
  const executor = command === undefined ? executorMode(pick, env) : undefined;
  if (
    command !== undefined &&
    (pick('executor', 'BUILDCLUSTER_EXECUTOR') ?? pick('executor-config', 'BUILDCLUSTER_EXECUTOR_CONFIG'))
  ) {
    throw new UsageError('--exec and --executor exclude each other: run a command per build, or an executor plugin', 'run');
  }
  if (command === undefined && executor === undefined) {
    throw new UsageError(
      '--exec or --executor is required (a command to run per message, or a Screwdriver executor: k8s, k8s-vm, docker, or a module path; or set BUILDCLUSTER_EXEC or BUILDCLUSTER_EXECUTOR)',
      'run',
    );
  }
  if (command !== undefined && command.trim() === '') throw new UsageError('--exec is empty', 'run');
  // An executor's start takes seconds, not the build's length, so executor mode takes more at once.
  const concurrency = integer(pick('concurrency', 'BUILDCLUSTER_CONCURRENCY'), '--concurrency', executor ? 10 : 1, 1, 100);
  const workerId = pick('worker-id', 'BUILDCLUSTER_WORKER_ID') ?? defaultWorkerId();
  if (!WORKER_ID_PATTERN.test(workerId)) {
    throw new UsageError('--worker-id must be 1 to 200 printable ASCII characters without spaces', 'run');
  }
  const pollWaitMs = integer(env.BUILDCLUSTER_POLL_WAIT_MS || undefined, 'BUILDCLUSTER_POLL_WAIT_MS', 20_000, 0, 30_000);
  const healthPort = pick('health-port', 'BUILDCLUSTER_HEALTH_PORT');
  const health =
    healthPort === undefined
      ? undefined
      : { port: integer(healthPort, '--health-port', 0, 0, 65535), host: env.BUILDCLUSTER_HEALTH_HOST || '0.0.0.0' };
  return { brokerUrl, cluster, privateKey, keySource, signOption, command, executor, concurrency, workerId, pollWaitMs, health };
}

type Pick = (flag: string, variable: string) => string | undefined;

/**
 * `--executor NAME|PATH` and `--executor-config FILE`: the executor config is read and checked
 * here, at startup, so a mistake stops the worker with its file and field named. A name may also
 * come from buildcluster-queue-worker's EXECUTOR_PLUGIN or the file's `plugin`.
 */
function executorMode(pick: Pick, env: Env): ExecutorModeConfig | undefined {
  const spec = pick('executor', 'BUILDCLUSTER_EXECUTOR');
  const configFile = pick('executor-config', 'BUILDCLUSTER_EXECUTOR_CONFIG');
  if (spec === undefined && configFile === undefined) return undefined;
  const modulePath = spec !== undefined && isExecutorPath(spec) ? spec : undefined;
  if (spec !== undefined && modulePath === undefined && !EXECUTOR_NAME_PATTERN.test(spec)) {
    throw new UsageError(
      `--executor "${spec}" is neither an executor name (k8s, k8s-vm, docker, ...) nor a path to a module`,
      'run',
    );
  }
  let config: ExecutorConfig;
  try {
    config = loadExecutorConfig({
      file: configFile,
      defaultPlugin: modulePath ? undefined : spec,
      fallback: modulePath ? pathExecutorName(modulePath) : '',
      env,
    });
  } catch (err) {
    throw new UsageError(`--executor-config: ${(err as Error).message}`, 'run');
  }
  const startTimeoutS = integer(pick('start-timeout', 'BUILDCLUSTER_START_TIMEOUT'), '--start-timeout', 300, 1, 86_400);
  const verifySoonMs = integer(env.BUILDCLUSTER_VERIFY_SOON_MS || undefined, 'BUILDCLUSTER_VERIFY_SOON_MS', 15_000, 0, 3_600_000);
  return {
    spec: spec ?? config.defaultPlugin,
    modulePath,
    configFile,
    config,
    startTimeoutMs: startTimeoutS * 1000,
    verifySoonMs,
  };
}

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`, 'run');
  }
  return Number(raw);
}

function fileOrText(
  flags: Record<string, string | boolean | undefined>,
  env: Env,
  flag: string,
  fileVariable: string,
  textVariable: string,
  what: string,
  unescapeNewlines = false,
): { text: string; source: string } {
  const fromFlag = flags[flag];
  const path = typeof fromFlag === 'string' ? fromFlag : env[fileVariable] || undefined;
  if (path !== undefined) {
    const source = typeof fromFlag === 'string' ? `--${flag} ${path}` : `${fileVariable} ${path}`;
    try {
      return { text: readFileSync(path, 'utf8'), source };
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      // A relative path is read from the working directory, which `pnpm --dir` or a container may have changed.
      const where = isAbsolute(path) ? '' : ` (${resolve(path)})`;
      throw new UsageError(`cannot read ${source}${where}: ${why}`, 'run');
    }
  }
  const text = env[textVariable];
  if (text !== undefined && text.trim() !== '') {
    // A PEM pasted into an environment often carries literal "\n" for its line breaks; accept both.
    return { text: unescapeNewlines ? text.replace(/\\n/g, '\n') : text, source: textVariable };
  }
  throw new UsageError(`--${flag} is required (${what}; or set ${fileVariable}, or ${textVariable} to its content)`, 'run');
}
