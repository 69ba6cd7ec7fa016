import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server in the place of Screwdriver's API for the broker's own tests: it records
 * every call the broker makes and answers as told (the real screwdriver-api is exercised by
 * packages/screwdriver-compat). `failNext(n, status)` makes the next n build updates fail.
 */
export interface RecordedCall {
  method: string;
  path: string;
  authorization: string;
  body: Record<string, unknown> | null;
  at: number;
}

export interface RecordingApi {
  url: string;
  calls: RecordedCall[];
  /** The next `count` calls answer `status` (e.g. 503) instead of 200. */
  failNext(count: number, status: number): void;
  /** Calls to PUT /v4/builds/{buildId}. */
  updates(buildId: number): RecordedCall[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

export async function startRecordingApi(activeStep = 'test'): Promise<RecordingApi> {
  const calls: RecordedCall[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 200 };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = req.url ?? '/';
      calls.push({
        method: req.method ?? 'GET',
        path,
        authorization: req.headers.authorization ?? '',
        body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
        at: Date.now(),
      });
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        res.writeHead(failures.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: failures.status, message: 'told to fail' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(path.endsWith('/steps?status=active') ? JSON.stringify([{ name: activeStep }]) : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext(count, status) {
      failures = { count, status };
    },
    updates: (buildId) => calls.filter((c) => c.method === 'PUT' && c.path === `/v4/builds/${buildId}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The broker's own key pair for these tests (QUEUE_JWT_PRIVATE_KEY and what Screwdriver would verify it with). */
export const QUEUE_KEYS = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
