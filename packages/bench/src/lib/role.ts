import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { forkTs, exited } from './processes.js';

/**
 * Load generators run as child processes ("roles") so each side of a measurement has its own
 * event loop and its CPU can be told apart. The parent sends the config, the child prepares and
 * says ready, the parent says go (to every role at once), the child reports its result.
 */
type ToChild<C> = { type: 'config'; config: C } | { type: 'go' } | { type: 'stop' };
type FromChild<R> =
  { type: 'ready' } | { type: 'done'; result: R } | { type: 'error'; message: string } | { type: 'note'; message: string };

export interface RoleHandle<R> {
  child: ChildProcess;
  ready: Promise<void>;
  go(): void;
  /** Asks the role to wind down (long-running roles such as waiting pollers). */
  stop(): void;
  done: Promise<R>;
}

export function startRole<C, R>(file: string, config: C, execArgv: string[] = []): RoleHandle<R> {
  const child = forkTs(file, [], { execArgv });
  let markReady: () => void = () => {};
  let readyFailed: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    readyFailed = reject;
  });
  const done = new Promise<R>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = raw as FromChild<R>;
      if (message.type === 'ready') markReady();
      else if (message.type === 'done') resolve(message.result);
      else if (message.type === 'note') process.stderr.write(`  ${message.message}\n`);
      else if (message.type === 'error') {
        const err = new Error(`${roleName(file)}: ${message.message}`);
        readyFailed(err);
        reject(err);
      }
    });
    void exited(child).then(() => {
      const err = new Error(`${roleName(file)} exited (code ${child.exitCode}, signal ${child.signalCode}) before reporting`);
      readyFailed(err);
      reject(err);
    });
  });
  // A rejection nobody awaits yet must not crash the parent; callers await ready/done.
  ready.catch(() => {});
  done.catch(() => {});
  child.send({ type: 'config', config } satisfies ToChild<C>);
  return {
    child,
    ready,
    go: () => child.send({ type: 'go' } satisfies ToChild<C>),
    stop: () => {
      if (child.connected) child.send({ type: 'stop' } satisfies ToChild<C>);
    },
    done,
  };
}

function roleName(file: string): string {
  return file.split('/').pop()?.replace(/\.ts$/, '') ?? file;
}

export function rolePath(name: string): string {
  return fileURLToPath(new URL(`../roles/${name}.ts`, import.meta.url));
}

export interface RoleContext {
  /** Resolves when the parent asks the role to stop. */
  stopped: Promise<void>;
  note(message: string): void;
  /** Set to keep the process (and its open connections) alive after reporting, until stop(). */
  lingerAfterDone: boolean;
}

/** Child side: `prepare` gets the config and returns the measured action, run on "go". */
export function runRole<C, R>(prepare: (config: C, context: RoleContext) => Promise<() => Promise<R>>): void {
  let stop: () => void = () => {};
  const context: RoleContext = {
    stopped: new Promise<void>((resolve) => (stop = resolve)),
    note: (message) => process.send?.({ type: 'note', message }),
    lingerAfterDone: false,
  };
  let action: (() => Promise<R>) | null = null;
  const fail = (err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.send?.({ type: 'error', message }, undefined, {}, () => process.exit(1));
  };
  process.on('message', (raw) => {
    const message = raw as ToChild<C>;
    if (message.type === 'config') {
      prepare(message.config, context)
        .then((run) => {
          action = run;
          process.send?.({ type: 'ready' });
        })
        .catch(fail);
    } else if (message.type === 'go') {
      if (!action) return fail(new Error('go before ready'));
      action()
        .then((result) =>
          process.send?.({ type: 'done', result }, undefined, {}, () => {
            if (context.lingerAfterDone) void context.stopped.then(() => process.exit(0));
            else process.exit(0);
          }),
        )
        .catch(fail);
    } else if (message.type === 'stop') stop();
  });
  // The parent died: do not linger.
  process.on('disconnect', () => process.exit(0));
}
