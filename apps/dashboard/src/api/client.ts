import { session } from './session';

/** An answer of the broker other than 2xx: `{statusCode, code, error, message}` (see ErrorBody). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let baseUrl = '';

/** The broker's origin; empty means the page's own origin (the broker serves the dashboard). */
export function setApiBase(url: string): void {
  baseUrl = url.replace(/\/$/, '');
}

export function apiUrl(path: string): string {
  return `${baseUrl}${path}`;
}

export const SESSION_EXPIRED = 'Your token was not accepted (expired or not valid for this broker). Sign in again.';

/**
 * Calls the broker with the admin token. Any 401 ends the session: the token expired or was
 * revoked, so the only useful next step is the sign-in page.
 */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { token } = session.get();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The broker cannot be reached. Check the connection; retrying.');
  }
  if (response.status === 401) {
    session.signOut(SESSION_EXPIRED);
    throw new ApiError(401, 'UNAUTHORIZED', SESSION_EXPIRED);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : safeJson(text);
  if (!response.ok) {
    const err = (parsed ?? {}) as { code?: string; message?: string };
    throw new ApiError(
      response.status,
      err.code ?? `HTTP_${response.status}`,
      err.message ?? `${response.status} ${response.statusText}`,
    );
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 300) };
  }
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  delete: <T>(path: string) => request<T>('DELETE', path),
};
