/**
 * What can go wrong talking to the broker, split the way a worker must react to it:
 * an answer from the broker (it has a status, a stable code and a message for people) or no
 * answer at all (the request may or may not have reached the broker).
 */
export class BrokerHttpError extends Error {
  constructor(
    readonly status: number,
    /** The broker's stable error code (ERROR_CODES of @buildcluster/protocol/constants), or `HTTP_<status>` from a proxy. */
    readonly code: string,
    /** The broker's message, meant for people ("cluster x is not registered"). */
    readonly brokerMessage: string,
    readonly route: string,
  ) {
    super(`${route} answered ${status} ${code}: ${brokerMessage}`);
    this.name = 'BrokerHttpError';
  }

  /** 401: the token was not accepted (expired, wrong key, clock skew); a fresh token may help. */
  get isAuthentication(): boolean {
    return this.status === 401;
  }

  /** Worth trying again later: the broker (or a proxy in front of it) is overloaded, restarting or lost a backing service. */
  get isTransient(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** No usable answer: connection refused or reset, DNS failure, timeout, or a body that is not JSON. */
export class BrokerUnreachableError extends Error {
  constructor(
    readonly route: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${route}: no answer from the broker (${reason})`, options);
    this.name = 'BrokerUnreachableError';
  }
}

/** Raised by a call the caller aborted (e.g. the poll in flight when the worker is told to stop). */
export class AbortedError extends Error {
  constructor(readonly route: string) {
    super(`${route}: aborted`);
    this.name = 'AbortedError';
  }
}

/** Errors after which the same request, sent again, has a chance to succeed. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof BrokerUnreachableError) return true;
  if (err instanceof BrokerHttpError) return err.isTransient || err.isAuthentication;
  return false;
}
