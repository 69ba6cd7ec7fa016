import http from 'node:http';

export interface JsonAnswer<T = unknown> {
  status: number;
  body: T;
  /** The raw text, for answers that are not JSON. */
  text: string;
}

/**
 * A lean JSON-over-HTTP client on node:http with a keep-alive agent: in a load generator the
 * client's own cost per request counts against the machine, so no fetch() and no retries here.
 */
export class JsonClient {
  readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, options: { maxSockets?: number } = {}) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 256,
      maxFreeSockets: options.maxSockets ?? 256,
    });
  }

  request<T = unknown>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; token?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
  ): Promise<JsonAnswer<T>> {
    const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const headers: Record<string, string | number> = { accept: 'application/json', ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = undefined;
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: body as T, text });
        });
      });
      req.on('error', reject);
      if (options.timeoutMs) {
        req.setTimeout(options.timeoutMs, () =>
          req.destroy(new Error(`${method} ${path}: no answer within ${options.timeoutMs} ms`)),
        );
      }
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * One JsonClient per base URL, made when a URL is first asked for (a restarted replica may come
 * back on a new port, so the URLs are not known up front); `close` closes them all.
 */
export class JsonClients {
  private readonly byUrl = new Map<string, JsonClient>();

  constructor(private readonly options: { maxSockets?: number } = {}) {}

  for(url: string): JsonClient {
    let client = this.byUrl.get(url);
    if (!client) {
      client = new JsonClient(url, this.options);
      this.byUrl.set(url, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.byUrl.values()) client.close();
  }
}
