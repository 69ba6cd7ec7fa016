import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../test/support/broker.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('the dashboard plugin, with a built dashboard', () => {
  let broker: TestBroker;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>dashboard index</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(tmpdir(), 'outside-dashboard.txt'), 'secret');
    broker = await startTestBroker({ env: { DASHBOARD_DIR: dir } });
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / without caching, with headers that keep the token page safe', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('dashboard index');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("connect-src 'self' ws: wss:");
  });

  it('serves hashed assets as immutable', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('console.log("app")');
    expect(res.headers['cache-control']).toMatch(/max-age=31536000.*immutable/);
    const icon = await broker.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).not.toMatch(/immutable/);
  });

  it('falls back to index.html for other pages a browser asks for', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/clusters/edge-1?tab=queue', headers: HTML });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('dashboard index');
  });

  it('keeps the JSON 404 for API paths, missing files and clients that do not want HTML', async () => {
    for (const [url, headers] of [
      ['/v4/nothing-here', HTML],
      ['/v1/queue/nothing', HTML],
      ['/assets/missing.js', HTML],
      ['/somewhere', { accept: 'application/json' }],
    ] as const) {
      const res = await broker.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('never serves a file outside its folder', async () => {
    for (const url of ['/../outside-dashboard.txt', '/%2e%2e/outside-dashboard.txt', '/assets/..%2f..%2foutside-dashboard.txt']) {
      const res = await broker.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('secret');
    }
  });
});

describe('the dashboard plugin, before the dashboard is built', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ env: { DASHBOARD_DIR: join(tmpdir(), 'no-such-dashboard-build') } });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('answers / with a page saying to run pnpm build', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('pnpm build');
  });

  it('still answers the API', async () => {
    const res = await broker.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
  });
});
