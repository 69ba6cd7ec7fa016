import { readFileSync } from 'node:fs';
import { PACKAGE_DIR } from './repo.js';
import { spawn, fork, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Every child this run starts is tracked here, so any exit path (normal end, error, Ctrl-C, a
 * timeout) kills them all by pid and nothing is left running on the shared machine.
 */
const children = new Set<ChildProcess>();
/** Processes started by someone else's code (the test kit's Redis Cluster nodes), known by pid. */
const foreignPids = new Set<number>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const pid of foreignPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping every child process\n`);
      killAll();
      process.exit(130);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  hookExit();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills `pid` too if this run ends before `forgetPid(pid)`: processes this run asked a library to start. */
export function killPidOnExit(pid: number): void {
  hookExit();
  foreignPids.add(pid);
}

export function forgetPid(pid: number): void {
  foreignPids.delete(pid);
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  return track(spawn(command, args, options));
}

/** Runs a TypeScript module of this package as a Node child with an IPC channel. */
export function forkTs(
  modulePath: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): ChildProcess {
  return track(
    fork(modulePath, args, {
      cwd: PACKAGE_DIR,
      execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
      env: options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
}

/** Resolves when the child has exited (immediately when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

export async function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await exited(child);
}

/**
 * A server the bench runs as a child process of its own (`child` while it runs): `stop` asks it to
 * exit (SIGTERM, then SIGKILL after `graceMs`), `kill` does not ask.
 */
export abstract class ServerChild {
  protected child: ChildProcess | null = null;

  protected constructor(private readonly graceMs: number) {}

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, this.graceMs);
    this.child = null;
  }

  async kill(): Promise<void> {
    if (this.child) await killChild(this.child);
    this.child = null;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
