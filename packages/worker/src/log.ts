/** Where the worker reports what it does; the CLI prints to stderr, an SDK user may plug in pino. */
export interface WorkerLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLog: WorkerLog = { info() {}, warn() {}, error() {} };

/** One line per event, prefixed with the worker id, for people reading a terminal or `kubectl logs`. */
export function lineLog(prefix: string, write: (line: string) => void = (line) => process.stderr.write(line)): WorkerLog {
  const emit = (level: string, message: string) => write(`${prefix}${level}${message}\n`);
  return {
    info: (message) => emit('', message),
    warn: (message) => emit('warning: ', message),
    error: (message) => emit('error: ', message),
  };
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
