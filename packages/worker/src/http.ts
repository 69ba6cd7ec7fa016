import { AbortedError, BrokerHttpError, BrokerUnreachableError } from './errors.js';
import type { BrokerClock } from './clock.js';

export interface BrokerHttpOptions {
  /** Base URL of the broker, e.g. https://broker.example.com (a path prefix is kept). */
  baseUrl: string;
  /** Bearer token for each request (called per request, so a renewed token is picked up). */
  token: () => string;
  clock: BrokerClock;
  userAgent: string;
  /** Replaceable for tests of edge cases; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface BrokerResponse<T> {
  status: number;
  /** null for 204 No Content */
  body: T | null;
}

/** Longest error text kept from a non-JSON answer (a proxy's HTML page, say). */
const MAX_TEXT = 300;

/** JSON over HTTP to the broker, with the cluster token, a deadline per call and typed errors. */
export class BrokerHttp {
  private readonly base: URL;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: BrokerHttpOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`broker URL is not a valid URL: ${options.baseUrl}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`broker URL must be http:// or https://, got ${base.protocol}`);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get baseUrl(): string {
    return this.base.toString().replace(/\/$/, '');
  }

  async post<T>(path: string, body: unknown, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<BrokerResponse<T>> {
    const route = `POST ${path}`;
    const url = new URL(path.replace(/^\//, ''), this.base);
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.token()}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': this.options.userAgent,
        },
        body: JSON.stringify(body),
        signal,
      });
      text = await response.text();
    } catch (err) {
      if (opts.signal?.aborted) throw new AbortedError(route);
      if (timeout.aborted) throw new BrokerUnreachableError(route, `no answer within ${opts.timeoutMs / 1000} s`, { cause: err });
      throw new BrokerUnreachableError(route, describeNetworkError(err), { cause: err });
    }
    this.options.clock.observe(response.headers.get('date'));
    if (response.status === 204) return { status: 204, body: null };
    if (response.ok) {
      try {
        return { status: response.status, body: JSON.parse(text) as T };
      } catch (err) {
        throw new BrokerUnreachableError(route, `answer ${response.status} is not JSON`, { cause: err });
      }
    }
    throw errorFromAnswer(route, response.status, response.statusText, text);
  }
}

function errorFromAnswer(route: string, status: number, statusText: string, text: string): BrokerHttpError {
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof parsed.message === 'string') {
      return new BrokerHttpError(status, typeof parsed.code === 'string' ? parsed.code : `HTTP_${status}`, parsed.message, route);
    }
  } catch {
    // Not the broker's JSON error body: a proxy or load balancer answered. Keep its text, shortened.
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, MAX_TEXT);
  return new BrokerHttpError(status, `HTTP_${status}`, snippet || statusText || 'no message', route);
}

/** fetch() hides the useful part ("ECONNREFUSED 127.0.0.1:8080") in err.cause. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code && cause.message) return cause.message.includes(cause.code) ? cause.message : `${cause.code}: ${cause.message}`;
  if (cause?.message) return cause.message;
  return (err as Error).message ?? String(err);
}
