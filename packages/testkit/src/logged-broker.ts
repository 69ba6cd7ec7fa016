import { Writable } from 'node:stream';

export interface LoggedApp {
  ready(): PromiseLike<unknown>;
  close(): PromiseLike<unknown>;
}

/** How to build one more broker app with other logger options (the broker's buildApp and fastifyOptions). */
export interface AppFactory<Config, App extends LoggedApp> {
  buildApp(config: Config, overrides?: { logger?: unknown }): Promise<App>;
  fastifyOptions(config: Config): { logger?: unknown };
}

/**
 * Another replica of a test broker (same PostgreSQL, Redis and key prefix) whose log lines are
 * kept in memory, at info level, with the production logger options (redaction included), so a
 * test can check that a refusal was logged and that no log line carries a token.
 */
export interface LoggedBroker<App> {
  app: App;
  lines: Array<Record<string, unknown>>;
  /** Raw text of every line, for "never contains" checks. */
  text(): string;
  /** The log lines of one request, by its request id. */
  linesOf(reqId: string): Array<Record<string, unknown>>;
  /** Forgets the lines so far (before the request a test wants to look at). */
  reset(): void;
  close(): Promise<void>;
}

export async function startLoggedReplica<Config, App extends LoggedApp>(
  config: Config,
  factory: AppFactory<Config, App>,
): Promise<LoggedBroker<App>> {
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        raw.push(line);
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ msg: line });
        }
      }
      callback();
    },
  });
  const base = factory.fastifyOptions(config).logger as Record<string, unknown>;
  const app = await factory.buildApp(config, { logger: { ...base, level: 'info', stream } });
  await app.ready();
  return {
    app,
    lines,
    text: () => raw.join('\n'),
    linesOf: (reqId) => lines.filter((l) => l.reqId === reqId),
    reset: () => {
      raw.length = 0;
      lines.length = 0;
    },
    close: async () => void (await app.close()),
  };
}
