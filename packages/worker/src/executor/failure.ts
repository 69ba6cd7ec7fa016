/**
 * How an executor's error reads, and whether trying again can help. screwdriver-request (used by
 * the executors and the API client) throws `Error("<status> Reason \"<message>\"")` with
 * `statusCode`, and the network cause in `code` (ECONNREFUSED shows as status 500).
 */
interface ExecutorError {
  message?: string;
  statusCode?: number;
  code?: string;
  isJoi?: boolean;
  name?: string;
}

/** One line for the log and the build's status message, with the network cause when there is one. */
export function describeExecutorError(err: unknown): string {
  const e = (err ?? {}) as ExecutorError;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = typeof e.code === 'string' && !message.includes(e.code) ? ` (${e.code})` : '';
  return `${message}${code}`;
}

/**
 * Why the error is final, or null when a new attempt may succeed: the backend refused (403) or
 * does not know the thing (404), or the message fails the executor's schema check, which no
 * redelivery changes.
 */
export function permanentReason(err: unknown): string | null {
  const e = (err ?? {}) as ExecutorError;
  if (e.isJoi === true || e.name === 'ValidationError') return 'the message does not pass the executor schema';
  const status = statusOf(err);
  if (status === 403) return 'the backend refused it (403)';
  if (status === 404) return 'the backend does not know it (404)';
  return null;
}

/** The HTTP status of a screwdriver-request error: its `statusCode`, or the number its message starts with. */
export function statusOf(err: unknown): number | undefined {
  const e = (err ?? {}) as ExecutorError;
  if (typeof e.statusCode === 'number') return e.statusCode;
  const fromMessage = /^(\d{3})\b/.exec(typeof e.message === 'string' ? e.message : '')?.[1];
  return fromMessage === undefined ? undefined : Number(fromMessage);
}
