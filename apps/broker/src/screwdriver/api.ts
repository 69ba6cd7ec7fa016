/**
 * Calls to Screwdriver's API on behalf of a build. Each answer is classified for the caller: sent,
 * refused for good (a 4xx: the build moved on, e.g. it already finished, and asking again cannot
 * change that) or worth another try later (no answer, 5xx, 429).
 */
export type Outcome =
  { kind: 'sent'; body: unknown } | { kind: 'refused'; status: number; why: string } | { kind: 'retry'; why: string };

const TIMEOUT_MS = 10_000;

export class ScrewdriverApi {
  constructor(private readonly userAgent: string) {}

  async call(method: 'GET' | 'PUT' | 'POST', url: string, token: string, body?: unknown): Promise<Outcome> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'user-agent': this.userAgent,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      return { kind: 'retry', why: `${method} ${url}: ${(err as Error).message}` };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = text;
      }
      return { kind: 'sent', body: parsed };
    }
    const why = `${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`;
    if (res.status >= 500 || res.status === 429 || res.status === 408) return { kind: 'retry', why };
    return { kind: 'refused', status: res.status, why };
  }
}

/** `PUT {apiUri}/v4/builds/{id}` and the step calls the broker makes. */
export const buildUrl = (apiUri: string, buildId: number): string => `${apiUri.replace(/\/+$/, '')}/v4/builds/${buildId}`;
