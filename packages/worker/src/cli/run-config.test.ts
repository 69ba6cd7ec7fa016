import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateClusterKeys } from '../keygen.js';
import { resolveRunConfig } from './run-config.js';

const dir = mkdtempSync(join(tmpdir(), 'bcw-config-'));
const keys = generateClusterKeys('c1');
const keyFile = join(dir, 'c1.key.pem');
const signFile = join(dir, 'c1.sign-option.json');
writeFileSync(keyFile, keys.privateKeyPem);
writeFileSync(signFile, JSON.stringify(keys.signOption));
const badJson = join(dir, 'bad.json');
writeFileSync(badJson, '{"issuer": ');

const full = [
  '--broker',
  'https://broker.example.com',
  '--cluster',
  'c1',
  '--key',
  keyFile,
  '--sign-option',
  signFile,
  '--exec',
  'echo hi',
];

describe('resolveRunConfig', () => {
  it('reads every flag, with defaults for the optional ones', () => {
    const config = resolveRunConfig(full, {});
    expect(config).toMatchObject({
      brokerUrl: 'https://broker.example.com',
      cluster: 'c1',
      privateKey: keys.privateKeyPem,
      signOption: keys.signOption,
      command: 'echo hi',
      concurrency: 1,
      pollWaitMs: 20_000,
    });
    expect(config !== 'help' && config.workerId).toMatch(/^[\x21-\x7E]+-\d+$/);
  });

  it('takes --concurrency and --worker-id', () => {
    expect(resolveRunConfig([...full, '--concurrency', '8', '--worker-id', 'w-7'], {})).toMatchObject({
      concurrency: 8,
      workerId: 'w-7',
    });
  });

  it('falls back to the environment, and a flag wins over it', () => {
    const env = {
      BUILDCLUSTER_BROKER_URL: 'http://env-broker:8080',
      BUILDCLUSTER_CLUSTER: 'c1',
      BUILDCLUSTER_PRIVATE_KEY: keys.privateKeyPem.replace(/\n/g, '\\n'),
      BUILDCLUSTER_SIGN_OPTION: JSON.stringify(keys.signOption),
      BUILDCLUSTER_EXEC: 'true',
      BUILDCLUSTER_CONCURRENCY: '3',
      BUILDCLUSTER_POLL_WAIT_MS: '5000',
    };
    expect(resolveRunConfig([], env)).toMatchObject({
      brokerUrl: 'http://env-broker:8080',
      privateKey: keys.privateKeyPem,
      keySource: 'BUILDCLUSTER_PRIVATE_KEY',
      concurrency: 3,
      pollWaitMs: 5000,
    });
    expect(resolveRunConfig(['--broker', 'http://flag:1', '--concurrency', '2'], env)).toMatchObject({
      brokerUrl: 'http://flag:1',
      concurrency: 2,
    });
  });

  it('answers help', () => {
    expect(resolveRunConfig(['--help'], {})).toBe('help');
    expect(resolveRunConfig(['-h'], {})).toBe('help');
  });

  it.each([
    [[], /--broker is required/],
    [full.filter((a, i) => i !== 8 && i !== 9), /--exec is required/],
    [[...full, '--concurrency', '0'], /--concurrency must be a whole number from 1 to 100, got "0"/],
    [[...full, '--concurrency', 'many'], /--concurrency must be a whole number/],
    [[...full, '--worker-id', 'has space'], /--worker-id must be/],
    [[...full, '--nope'], /unknown flag --nope/],
    [[...full, 'extra'], /unexpected argument "extra"/],
    [['--broker'], /--broker needs a value/],
    [['--broker', 'ftp://x', ...full.slice(2)], /must be an http:\/\/ or https:\/\/ URL/],
    [['--cluster', 'bad/name', ...full.slice(0, 2), ...full.slice(4)], /is not a cluster name/],
    [[...full.slice(0, 5), join(dir, 'missing.pem'), ...full.slice(6)], /cannot read --key .*missing.pem: no such file/],
    [[...full.slice(0, 5), signFile, ...full.slice(6)], /does not hold a PEM private key/],
    [[...full.slice(0, 7), badJson, ...full.slice(8)], /bad.json is not valid JSON/],
    [[...full.slice(0, 7), keyFile, ...full.slice(8)], /is not valid JSON/],
  ])('refuses %j', (argv, message) => {
    expect(() => resolveRunConfig(argv as string[], {})).toThrow(message);
  });
});
