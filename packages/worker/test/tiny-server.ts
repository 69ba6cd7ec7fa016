import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export type Route = (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

/**
 * A real HTTP server for the unit tests' edge cases (a reply lost on the wire, a proxy's HTML
 * error, a lease that a test controls). The integration tests use the real broker instead.
 */
export async function startTinyServer(routes: Record<string, Route>) {
  const requests: RecordedRequest[] = [];
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const req: RecordedRequest = {
        method: raw.method ?? 'GET',
        path: (raw.url ?? '/').split('?')[0] ?? '/',
        authorization: raw.headers.authorization,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
      requests.push(req);
      const verb = req.path.split('/').pop() ?? '';
      const route = routes[verb];
      if (!route)
        return json(res, 404, { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `no route ${req.path}` });
      void route(req, res, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    of: (verb: string) => requests.filter((r) => r.path.endsWith(`/${verb}`)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Resolves once `check` holds, polling every 20 ms; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 10_000,
  what: string | (() => string) = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
