import { keygenCommand } from './cli/keygen-command.js';
import { runCommandLine } from './cli/run-command.js';
import { MAIN_HELP, UsageError } from './cli/usage.js';

const VERSION = '0.1.0';

/**
 * The `buildcluster-worker` command line. Answers the exit code: 0 done, 1 a fault, 2 bad usage.
 * Everything for people goes to stderr; stdout carries only what a script may capture
 * (keygen's registration body, help text, the build commands' own output).
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keygen':
        return keygenCommand(rest, process);
      case 'run':
        return await runCommandLine(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process });
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(MAIN_HELP);
        return 0;
      case '--version':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case undefined:
        process.stderr.write(MAIN_HELP);
        return 2;
      default:
        throw new UsageError(`unknown command "${command}" (expected keygen or run)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const help = err.command ? `buildcluster-worker ${err.command} --help` : 'buildcluster-worker --help';
      process.stderr.write(`buildcluster-worker: ${err.message}\nRun "${help}" for usage.\n`);
      return 2;
    }
    process.stderr.write(`buildcluster-worker: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
