import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { waitFor } from './wait.js';

/**
 * A child process of the test (broker, Screwdriver API, worker) with its output kept, so that a
 * failing test can print what each part said, and a stop that cannot leave it running.
 */
export class Service {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  private output = '';
  private running = true;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { cwd?: string; env: Record<string, string | undefined>; logFile?: string },
  ) {
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      if (options.logFile) appendFileSync(options.logFile, chunk);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.running = false;
        resolve(code ?? signal ?? 'unknown');
      }),
    );
  }

  get log(): string {
    return this.output;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Resolves once the output matches; fails at once when the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    await waitFor(
      () => `${this.name} to print ${pattern}\n--- ${this.name} output so far:\n${this.tail()}`,
      () => {
        if (pattern.test(this.output)) return true;
        if (!this.running) throw new Error(`${this.name} exited before printing ${pattern}`);
        return false;
      },
      timeoutMs,
    );
  }

  /** The last lines of the output, for a failure report. */
  tail(lines = 80): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
