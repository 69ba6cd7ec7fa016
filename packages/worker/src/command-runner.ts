import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface CommandOptions {
  /** Shell command line, run with /bin/sh -c. */
  command: string;
  /** Written to the command's stdin, which is then closed. */
  input: string;
  env: NodeJS.ProcessEnv;
  /** When aborted, the command's whole process group gets SIGTERM, then SIGKILL after `killAfterMs`. */
  signal?: AbortSignal;
  killAfterMs?: number;
  /** Each line of output is copied to these streams with this prefix (e.g. "[build 42] "). */
  outputPrefix: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface CommandResult {
  /** Exit code; null when the command was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs a command for one message. Resolves when it exits; rejects only when it cannot be started. */
export function runCommand(options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C in the worker's terminal must not kill running builds
    // (graceful stop lets them finish), and an abort can signal everything the command started.
    const child = spawn('/bin/sh', ['-c', options.command], {
      detached: true,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let settled = false;
    let killTimer: NodeJS.Timeout | null = null;
    const signalGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => {
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), options.killAfterMs ?? 10_000);
      killTimer.unref();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    copyLines(child.stdout, options.stdout, options.outputPrefix);
    copyLines(child.stderr, options.stderr, options.outputPrefix);
    // A command that never reads stdin closes it early; that is not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input);

    const finish = (result: CommandResult) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      resolve(result);
    };
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(new Error(`cannot start /bin/sh: ${err.message}`));
    });
    // 'close' waits for the output to be read to the end; a background process the command left
    // behind may hold the pipes open, so do not wait for them more than a moment after 'exit'.
    child.on('close', (code, sig) => finish({ code, signal: sig }));
    child.on('exit', (code, sig) => setTimeout(() => finish({ code, signal: sig }), 2000).unref());
  });
}

function copyLines(from: Readable, to: NodeJS.WritableStream, prefix: string): void {
  const lines = createInterface({ input: from, crlfDelay: Infinity });
  lines.on('line', (line) => to.write(`${prefix}${line}\n`));
}
