import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, killAll, runCli, startCli } from './cli-harness.js';

/* The CLI as a child process, for what needs no broker: keygen, help, flags, an unreachable broker. */

afterEach(async () => {
  await killAll();
});

describe('buildcluster-worker keygen', () => {
  it('writes the key (0600), the public key and the sign option, and prints the registration body', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bcw-keygen-'));
    const { code, stdout, stderr } = await runCli(['keygen', '--cluster', 'onprem-1', '--out', join(dir, 'keys')]);
    expect(code).toBe(0);
    const key = join(dir, 'keys', 'onprem-1.key.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const publicKey = readFileSync(join(dir, 'keys', 'onprem-1.pub.pem'), 'utf8');
    const signOption = JSON.parse(readFileSync(join(dir, 'keys', 'onprem-1.sign-option.json'), 'utf8')) as { algorithm: 'ES256' };
    expect(signOption).toEqual({
      issuer: 'onprem-1',
      subject: 'onprem-1/worker',
      audience: 'buildcluster-broker',
      expiresIn: 600,
      algorithm: 'ES256',
    });

    const body = JSON.parse(stdout) as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'onprem-1', publicKey, signOption });
    expect(Object.keys(body).sort()).toEqual(['managedBy', 'name', 'publicKey', 'scmContext', 'scmOrganization', 'signOption']);
    expect(body.scmOrganization).toMatch(/^<REPLACE/);
    expect(stderr).toMatch(/curl -X PUT "\$BROKER\/v4\/buildClusters"/);
    // The key pair really pairs.
    const token = jwt.sign({ sub: 'x' }, readFileSync(key, 'utf8'), { algorithm: 'ES256' });
    expect(jwt.verify(token, publicKey, { algorithms: ['ES256'] })).toMatchObject({ sub: 'x' });
  });

  it('makes RS256 keys on request and never overwrites existing files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bcw-keygen-'));
    const first = await runCli(['keygen', '--cluster', 'r', '--algorithm', 'RS256', '--out', dir]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ signOption: { algorithm: 'RS256' } });
    const keyBefore = readFileSync(join(dir, 'r.key.pem'), 'utf8');
    expect(keyBefore).toMatch(/BEGIN PRIVATE KEY/);
    const again = await runCli(['keygen', '--cluster', 'r', '--out', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refusing to overwrite .*r\.key\.pem/);
    expect(readFileSync(join(dir, 'r.key.pem'), 'utf8')).toBe(keyBefore);
  });

  it.each([
    [['keygen'], /--cluster is required/],
    [['keygen', '--cluster', '-bad'], /--cluster needs a value/],
    [['keygen', '--cluster', 'a b'], /is not a cluster name/],
    [['keygen', '--cluster', 'c', '--algorithm', 'HS256'], /--algorithm must be ES256 or RS256, got "HS256"/],
    [['keygen', '--cluster', 'c', '--force'], /unknown flag --force/],
    [['run'], /--broker is required/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /Usage:/],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it.each([['--help'], ['keygen', '--help'], ['run', '--help']])('%j prints help on stdout and exits 0', async (...args) => {
    const { code, stdout } = await runCli(args);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: buildcluster-worker|Usage:\n/);
  });
});

describe('buildcluster-worker run without a broker', () => {
  const tempDir = () => mkdtempSync(join(tmpdir(), 'bcw-run-'));

  it('refuses a key that does not fit the sign option (exit 2)', async () => {
    const dir = tempDir();
    await runCli(['keygen', '--cluster', 'rsa', '--algorithm', 'RS256', '--out', dir]);
    await runCli(['keygen', '--cluster', 'ec', '--out', dir]);
    const { code, stderr } = await runCli([
      'run',
      '--broker',
      'http://127.0.0.1:9',
      '--cluster',
      'ec',
      '--key',
      join(dir, 'rsa.key.pem'),
      '--sign-option',
      join(dir, 'ec.sign-option.json'),
      '--exec',
      'true',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--key .*rsa\.key\.pem: cannot sign a ES256 token with this private key/);
  });

  it('backs off while the broker is unreachable, says so, and exits 0 on SIGTERM', async () => {
    const dir = tempDir();
    await runCli(['keygen', '--cluster', 'c', '--out', dir]);
    const port = await closedPort();
    const cli = startCli([
      'run',
      '--broker',
      `http://127.0.0.1:${port}`,
      '--cluster',
      'c',
      '--key',
      join(dir, 'c.key.pem'),
      '--sign-option',
      join(dir, 'c.sign-option.json'),
      '--exec',
      'true',
      '--worker-id',
      'w-lonely',
    ]);
    await cli.waitForStderr(
      new RegExp(
        `\\[worker w-lonely\\] warning: poll failed: cannot reach the broker at http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\) \\(3 failed polls in a row\\); retrying in \\d+\\.\\d s`,
      ),
    );
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/\[worker w-lonely\] stopped\n$/);
  });
});
