import type { Job } from '@buildcluster/protocol';
import { WorkerClient } from '../client.js';
import { runCommand } from '../command-runner.js';
import { lineLog } from '../log.js';
import { Worker, type JobHandler } from '../worker.js';
import type { CliIo } from './keygen-command.js';
import { resolveRunConfig, type RunConfig } from './run-config.js';
import { RUN_HELP, UsageError } from './usage.js';

type Env = Record<string, string | undefined>;

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
  const worker = new Worker({
    client,
    handler: commandHandler(config, io),
    concurrency: config.concurrency,
    pollWaitMs: config.pollWaitMs,
    log,
    startNote: () => `→ running "${shorten(config.command)}"`,
  });

  let forced = false;
  let signals = 0;
  const onSignal = (name: string) => {
    signals += 1;
    if (signals === 1) {
      log.info(`${name}: finishing running builds, then exiting (send it again to stop them now)`);
      void worker.stop();
    } else {
      forced = true;
      log.info(`${name} again: stopping running builds; they will be nacked`);
      void worker.stop({ force: true });
    }
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  io.signals.on('SIGTERM', onTerm);
  io.signals.on('SIGINT', onInt);

  log.info(
    `polling ${client.brokerUrl} for builds of cluster "${config.cluster}" ` +
      `(concurrency ${config.concurrency}, token ${config.signOption.algorithm} valid ${config.signOption.expiresIn} s); ` +
      `command: ${config.command}`,
  );
  try {
    await worker.start();
  } finally {
    io.signals.off('SIGTERM', onTerm);
    io.signals.off('SIGINT', onInt);
  }
  log.info(forced ? 'stopped (forced)' : 'stopped');
  return forced ? 1 : 0;
}

/** Long commands would bury the log line's point; the full command is in the startup line. */
function shorten(command: string): string {
  const oneLine = command.replace(/\s+/g, ' ').trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 79)}…` : oneLine;
}

function commandHandler(config: RunConfig, io: RunIo): JobHandler {
  const baseEnv: Env = { ...io.env };
  for (const name of PRIVATE_VARIABLES) delete baseEnv[name];
  return async (job: Job, { signal }) => {
    const result = await runCommand({
      command: config.command,
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
