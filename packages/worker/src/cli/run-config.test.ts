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
    [full.filter((a, i) => i !== 8 && i !== 9), /--exec or --executor is required/],
    [[...full, '--executor', 'k8s'], /--exec and --executor exclude each other/],
    [[...full.slice(0, 8), '--executor', 'K8S!'], /--executor "K8S!" is neither an executor name .* nor a path/],
    [
      [...full.slice(0, 8), '--executor', 'k8s', '--executor-config', join(dir, 'none.yaml')],
      /--executor-config: cannot read .*none\.yaml: no such file/,
    ],
    [
      [...full.slice(0, 8), '--executor', 'k8s', '--start-timeout', '0'],
      /--start-timeout must be a whole number from 1 to 86400/,
    ],
    [[...full, '--health-port', '70000'], /--health-port must be a whole number from 0 to 65535/],
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
    expect(() => resolveRunConfig(argv, {})).toThrow(message);
  });

  it('executor mode: --executor with its config, 10 at a time, health on request', () => {
    const executorFile = join(dir, 'local.yaml');
    writeFileSync(
      executorFile,
      'executor:\n  plugin: k8s-vm\n  k8s:\n    options: { launchVersion: stable }\necosystem: { api: https://api }\n',
    );
    const config = resolveRunConfig(
      [
        ...full.slice(0, 8),
        '--executor',
        'k8s',
        '--executor-config',
        executorFile,
        '--start-timeout',
        '60',
        '--health-port',
        '8080',
      ],
      { K8S_HOST: 'k8s.local', BUILDCLUSTER_HEALTH_HOST: '127.0.0.1' },
    );
    if (config === 'help') throw new Error('unexpected help');
    expect(config.command).toBeUndefined();
    expect(config.concurrency).toBe(10);
    expect(config.health).toEqual({ port: 8080, host: '127.0.0.1' });
    expect(config.executor).toMatchObject({
      spec: 'k8s',
      configFile: executorFile,
      startTimeoutMs: 60_000,
      verifySoonMs: 15_000,
    });
    expect(config.executor!.config.defaultPlugin).toBe('k8s');
    expect(config.executor!.config.executors).toEqual([
      { name: 'k8s', options: { launchVersion: 'stable', kubernetes: { host: 'k8s.local' } } },
    ]);
    // A path is a module; its config entry goes by the file name.
    const byPath = resolveRunConfig([...full.slice(0, 8), '--executor', './lib/my-executor.js'], {});
    expect(byPath !== 'help' && byPath.executor).toMatchObject({
      modulePath: './lib/my-executor.js',
      spec: './lib/my-executor.js',
    });
    expect(byPath !== 'help' && byPath.executor!.config.defaultPlugin).toBe('my-executor');
    // buildcluster-queue-worker's EXECUTOR_PLUGIN names the executor when only the config is given.
    const fromEnv = resolveRunConfig([...full.slice(0, 8), '--executor-config', executorFile], { EXECUTOR_PLUGIN: 'k8s' });
    expect(fromEnv !== 'help' && fromEnv.executor!.spec).toBe('k8s');
  });
});
