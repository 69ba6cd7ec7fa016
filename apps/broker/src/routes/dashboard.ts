import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the built dashboard at `/` (README "Dashboard"): files from `config.dashboardDir` (DASHBOARD_DIR,
 * by default the dashboard built in this checkout). Any other GET that asks for HTML gets
 * index.html (the dashboard routes by hash, but deep links and reloads must still land on it).
 * API paths and non-HTML requests keep the JSON 404.
 */

const API_PATH = /^\/(v\d+|docs|metrics)(\/|$)/i;

/** The dashboard talks only to its own origin; nothing may frame it (it holds an admin token). */
const HTML_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Build cluster broker</title></head>
<body style="font: 15px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>The dashboard is not built</h1>
<p>The broker is running, but it found no dashboard to serve. From the repository root, run
<code>pnpm build</code> and reload this page (or set <code>DASHBOARD_DIR</code> to a built dashboard).</p>
<p>The API is up: <a href="/docs">API documentation</a> · <a href="/v4/status">status</a>.</p>
</body></html>
`;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

export default fp(
  async (app) => {
    const root = resolve(app.config.dashboardDir);
    const index = resolve(root, 'index.html');

    // Encapsulated, so reply.sendFile and its settings stay with these routes.
    await app.register(async (scope) => {
      await scope.register(fastifyStatic, { root, serve: false, suppressWarning: true });

      const serveIndex = async (reply: FastifyReply) => {
        reply.headers({ ...HTML_HEADERS, 'cache-control': 'no-cache' });
        if (!(await isFile(index))) return reply.code(200).type('text/html; charset=utf-8').send(NOT_BUILT);
        return reply.sendFile('index.html', { cacheControl: false });
      };

      scope.get('/', { schema: { hide: true } }, (_request, reply) => serveIndex(reply));

      scope.get('/*', { schema: { hide: true } }, async (request, reply) => {
        const pathname = decodeURIComponentSafe(request.url.split('?')[0] ?? '/');
        if (pathname === null || API_PATH.test(pathname)) return reply.callNotFound();
        const file = resolve(root, `.${pathname}`);
        // resolve() folds "..", so anything outside the root is a probe, never a dashboard file.
        if (file.startsWith(root + sep) && (await isFile(file))) {
          // Vite puts a content hash in every name under assets/: cache those for good.
          const hashed = pathname.startsWith('/assets/');
          return reply.sendFile(file.slice(root.length + 1), {
            cacheControl: true,
            maxAge: hashed ? 365 * 24 * 3600 * 1000 : 0,
            immutable: hashed,
          });
        }
        if (wantsHtml(request) && !/\.[a-z0-9]{1,8}$/i.test(pathname)) return serveIndex(reply);
        return reply.callNotFound();
      });
    });
  },
  { name: 'routes-dashboard', dependencies: ['config', 'error-handler'] },
);

function decodeURIComponentSafe(path: string): string | null {
  try {
    const decoded = decodeURIComponent(path);
    return decoded.includes('\0') ? null : decoded;
  } catch {
    return null;
  }
}
