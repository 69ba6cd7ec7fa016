import type { Job } from '@buildcluster/protocol';
import { WorkerClient } from '../client.js';
import { runCommand } from '../command-runner.js';
import { startHealthServer } from '../health/health-server.js';
import { BrokerHealth } from '../health/health-state.js';
import { WorkerMetrics } from '../health/metrics.js';
import { lineLog } from '../log.js';
import { Worker, type JobHandler } from '../worker.js';
import { executorLifecycle } from './executor-mode.js';
import type { CliIo } from './keygen-command.js';
import { resolveRunConfig, type RunConfig } from './run-config.js';
import { RUN_HELP, UsageError } from './usage.js';

type Env = Record<string, string | undefined>;

/** Signals closer together than this are one stop (pnpm forwards the Ctrl-C its child also got). */
const SAME_STOP_MS = 1000;

/** Variables a build command must not inherit: the cluster's own credentials. */
const PRIVATE_VARIABLES = ['BUILDCLUSTER_PRIVATE_KEY'];

export interface RunIo extends CliIo {
  env: Env;
  /** Where SIGTERM/SIGINT are heard (the process, in the CLI). */
  signals: NodeJS.EventEmitter;
}

/** `run`: the worker loop until SIGTERM/SIGINT. Answers the exit code. */
export async function runCommandLine(argv: string[], io: RunIo): Promise<number> {
  const config = resolveRunConfig(argv, io.env);
  if (config === 'help') {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  let client: WorkerClient;
  try {
    client = new WorkerClient({
      brokerUrl: config.brokerUrl,
      cluster: config.cluster,
      privateKey: config.privateKey,
      signOption: config.signOption,
      workerId: config.workerId,
    });
  } catch (err) {
    // The key does not parse, or does not fit the sign option's algorithm.
    throw new UsageError(`${config.keySource}: ${(err as Error).message}`, 'run');
  }

  const log = lineLog(`[worker ${config.workerId}] `, (line) => io.stderr.write(line));
  let worker: Worker | null = null;
  const health = new BrokerHealth(client.brokerUrl);
  let watching: (() => number) | undefined;
  const metrics = new WorkerMetrics({
    inProgress: () => worker?.running ?? 0,
    tokenRenewals: () => Math.max(0, client.tokens.mintedCount - 1),
    watching: () => watching?.() ?? 0,
  });

  let handler: JobHandler;
  let what: string;
  let startNote: (job: Job) => string;
  let closeMode = () => {};
  if (config.executor) {
    const mode = await executorLifecycle(config.executor, log, metrics);
    handler = mode.lifecycle.handler;
    what = `executor: ${mode.description}`;
    startNote = () => '';
    watching = () => mode.lifecycle.watchdog.watching;
    closeMode = () => {
      const dropped = mode.lifecycle.watchdog.close();
      if (dropped > 0) log.warn(`${dropped} started build(s) not yet seen running are no longer watched by this worker`);
    };
  } else {
    const command = config.command!;
    handler = commandHandler(command, config, io);
    what = `command: ${command}`;
    startNote = () => `→ running "${shorten(command)}"`;
  }

  worker = new Worker({
    client,
    handler,
    concurrency: config.concurrency,
    pollWaitMs: config.pollWaitMs,
    log,
    startNote,
    observer: {
      pollAnswered: () => health.pollAnswered(),
      pollFailed: (err) => {
        health.pollFailed(err);
        metrics.pollErrors.inc();
      },
      settled: (job, kind, ok) => {
        if (ok) (kind === 'ack' ? metrics.acked : metrics.nacked).inc({ type: job.type });
      },
    },
  });
  const running = worker;

  let healthServer: Awaited<ReturnType<typeof startHealthServer>> | null = null;
  if (config.health) {
    try {
      healthServer = await startHealthServer({ ...config.health, health, metrics, extra: () => ({ running: running.running }) });
    } catch (err) {
      throw new UsageError(`--health-port ${config.health.port}: cannot listen (${(err as Error).message})`, 'run');
    }
    log.info(`health and metrics on http://${config.health.host}:${healthServer.port}/health and /metrics`);
  }

  let forced = false;
  let firstSignalAt = 0;
  const onSignal = (name: string) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      log.info(`${name}: finishing running builds, then exiting (send it again to stop them now)`);
      void running.stop();
    } else if (now - firstSignalAt < SAME_STOP_MS) {
      // A Ctrl-C reaches both pnpm and the worker, and pnpm forwards its own copy: one stop, not two.
      log.info(`${name} again within ${SAME_STOP_MS} ms: the same stop, still finishing running builds`);
    } else if (!forced) {
      forced = true;
      log.info(`${name} again: stopping running builds; they will be nacked`);
      void running.stop({ force: true });
    }
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  io.signals.on('SIGTERM', onTerm);
  io.signals.on('SIGINT', onInt);

  log.info(
    `polling ${client.brokerUrl} for builds of cluster "${config.cluster}" ` +
      `(concurrency ${config.concurrency}, token ${config.signOption.algorithm} valid ${config.signOption.expiresIn} s); ` +
      what,
  );
  try {
    await running.start();
  } finally {
    io.signals.off('SIGTERM', onTerm);
    io.signals.off('SIGINT', onInt);
    closeMode();
    await healthServer?.close();
  }
  log.info(forced ? 'stopped (forced)' : 'stopped');
  return forced ? 1 : 0;
}

/** Long commands would bury the log line's point; the full command is in the startup line. */
function shorten(command: string): string {
  const oneLine = command.replace(/\s+/g, ' ').trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 79)}…` : oneLine;
}

function commandHandler(command: string, config: RunConfig, io: RunIo): JobHandler {
  const baseEnv: Env = { ...io.env };
  for (const name of PRIVATE_VARIABLES) delete baseEnv[name];
  return async (job: Job, { signal }) => {
    const result = await runCommand({
      command,
      input: `${JSON.stringify(job.message)}\n`,
      env: {
        ...baseEnv,
        BUILD_ID: String(job.buildId),
        MESSAGE_TYPE: job.type,
        BUILD_ATTEMPT: String(job.attempt),
        BUILD_CLUSTER: config.cluster,
        WORKER_ID: config.workerId,
      },
      signal,
      outputPrefix: `[build ${job.buildId}] `,
      stdout: io.stdout,
      stderr: io.stderr,
    });
    if (result.code === 0) return 'exit 0';
    throw new Error(result.code === null ? `killed by ${result.signal}` : `exit ${result.code}`);
  };
}
