import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rsaPair } from '@buildcluster/testkit/keys';

/**
 * A loopback HTTP server in the place of Screwdriver's API for the broker's own tests: it records
 * every call the broker makes and answers as told (the real screwdriver-api is exercised by
 * packages/screwdriver-compat). `failNext(n, status)` makes the next n calls fail.
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
  /** Calls to POST /v4/events (events started as a pipeline's admin), each answered with a new event id. */
  events(): RecordedCall[];
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

/** What a pipeline's admin lookup answers (GET /v4/pipelines/{id}/admin). */
export const PIPELINE_ADMIN = { username: 'pipeline-admin', scmContext: 'github:github.com' };

export async function startRecordingApi(activeStep = 'test'): Promise<RecordingApi> {
  const calls: RecordedCall[] = [];
  let eventId = 0;
  const answer = (method: string, path: string): unknown => {
    if (path.endsWith('/steps?status=active')) return [{ name: activeStep }];
    if (method === 'GET' && /^\/v4\/pipelines\/\d+\/admin$/.test(path)) return PIPELINE_ADMIN;
    if (method === 'POST' && path === '/v4/events') return { id: ++eventId };
    return {};
  };
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
      res.end(JSON.stringify(answer(req.method ?? 'GET', path)));
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
    events: () => calls.filter((c) => c.method === 'POST' && c.path === '/v4/events'),
    updates: (buildId) => calls.filter((c) => c.method === 'PUT' && c.path === `/v4/builds/${buildId}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The broker's own key pair for these tests (QUEUE_JWT_PRIVATE_KEY and what Screwdriver would verify it with). */
export const QUEUE_KEYS = rsaPair();
