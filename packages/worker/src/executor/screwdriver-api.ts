import { sleep } from '../backoff.js';
import type { BuildMessage } from './types.js';

/** The UI shows statusMessage on one line; the worker's log keeps the whole reason. */
const STATUS_MESSAGE_MAX = 500;

/**
 * Tells Screwdriver a build failed: `PUT {apiUri}/v4/builds/{id}` with `{status: 'FAILURE',
 * statusMessage}`, authenticated with the message's own token (the launcher's, which the API
 * accepts for updates of that build). Network errors and 5xx are tried three times.
 */
export async function reportFailure(message: BuildMessage, statusMessage: string, timeoutMs = 15_000): Promise<void> {
  const { apiUri, token, buildId } = message;
  if (typeof apiUri !== 'string' || apiUri === '') throw new Error('the message has no apiUri to report to');
  if (typeof token !== 'string' || token === '') throw new Error('the message has no token to report with');
  const url = `${apiUri.replace(/\/+$/, '')}/v4/builds/${buildId}`;
  const text = statusMessage.length > STATUS_MESSAGE_MAX ? `${statusMessage.slice(0, STATUS_MESSAGE_MAX - 1)}…` : statusMessage;
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      const res = await fetch(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'FAILURE', statusMessage: text }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) return;
      const body = (await res.text()).slice(0, 300);
      lastError = `PUT ${url} answered ${res.status}${body ? `: ${body}` : ''}`;
      if (res.status < 500) break;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      lastError = `PUT ${url} failed: ${cause ?? (err as Error).message}`;
    }
    if (attempt < 3) await sleep(500 * attempt);
  }
  throw new Error(lastError);
}
