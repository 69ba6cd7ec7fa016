import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExecutorConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'bcw-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadExecutorConfig', () => {
  it("reads buildcluster-queue-worker's local.yaml shape and lays its environment variables over it", () => {
    const path = file(
      'local.yaml',
      [
        'executor:',
        '  plugin: k8s-vm',
        '  k8s:',
        '    exclusion: [rhel6]',
        '    options:',
        '      kubernetes: { host: kubernetes.default, jobsNamespace: default }',
        '      launchVersion: stable',
        '  k8s-vm:',
        '    options: { kubernetes: { baseImage: base } }',
        'ecosystem:',
        '  api: https://api.from.file',
      ].join('\n'),
    );
    const config = loadExecutorConfig({
      file: path,
      defaultPlugin: 'k8s',
      fallback: '',
      env: {
        K8S_HOST: '10.0.0.1',
        K8S_NODE_SELECTORS: '{"dedicated":"screwdriver"}',
        WEIGHT_K8S: '3',
        LAUNCH_VERSION: 'v6.0.1',
        K8S_VM_BUILD_TIMEOUT: '45',
        ECOSYSTEM_STORE: 'https://store.example',
        K8S_CPU_LOW: '',
      },
    });
    expect(config.defaultPlugin).toBe('k8s');
    expect(config.ecosystem).toEqual({ api: 'https://api.from.file', store: 'https://store.example' });
    const [k8s, vm] = config.executors;
    expect(k8s).toEqual({
      name: 'k8s',
      weightage: 3,
      exclusions: ['rhel6'],
      options: {
        kubernetes: { host: '10.0.0.1', jobsNamespace: 'default', nodeSelectors: { dedicated: 'screwdriver' } },
        launchVersion: 'v6.0.1',
      },
    });
    expect(vm).toEqual({
      name: 'k8s-vm',
      options: { kubernetes: { host: '10.0.0.1', baseImage: 'base', buildTimeout: '45' }, launchVersion: 'v6.0.1' },
    });
    expect(config.variablesUsed.sort()).toEqual(
      ['ECOSYSTEM_STORE', 'K8S_HOST', 'K8S_NODE_SELECTORS', 'K8S_VM_BUILD_TIMEOUT', 'LAUNCH_VERSION', 'WEIGHT_K8S'].sort(),
    );
  });

  it('takes a bare executor section as JSON, and the default executor from EXECUTOR_PLUGIN, then the file', () => {
    const path = file('executor.json', JSON.stringify({ plugin: 'docker', docker: { options: { docker: {} } } }));
    expect(loadExecutorConfig({ file: path, fallback: '', env: { EXECUTOR_PLUGIN: 'k8s' } }).defaultPlugin).toBe('k8s');
    const fromFile = loadExecutorConfig({ file: path, fallback: '', env: {} });
    expect(fromFile.defaultPlugin).toBe('docker');
    expect(fromFile.executors.map((e) => e.name)).toEqual(['docker']);
  });

  it('with no file, builds the named executor from the environment alone', () => {
    const config = loadExecutorConfig({
      defaultPlugin: 'k8s',
      fallback: '',
      env: { K8S_HOST: 'k8s.local', ECOSYSTEM_API: 'https://api' },
    });
    expect(config.executors).toEqual([{ name: 'k8s', options: { kubernetes: { host: 'k8s.local' } } }]);
    expect(config.ecosystem).toEqual({ api: 'https://api' });
  });

  it('names the file, the field or the variable when something is wrong', () => {
    expect(() => loadExecutorConfig({ file: join(dir, 'nope.yaml'), defaultPlugin: 'k8s', fallback: '', env: {} })).toThrow(
      /nope\.yaml: no such file/,
    );
    const bad = file('bad.yaml', 'executor:\n  k8s: [1, 2]\n');
    expect(() => loadExecutorConfig({ file: bad, defaultPlugin: 'k8s', fallback: '', env: {} })).toThrow(
      /bad\.yaml: executor\.k8s must be a mapping/,
    );
    const weight = file('weight.yaml', 'k8s: { weightage: heavy }\n');
    expect(() => loadExecutorConfig({ file: weight, defaultPlugin: 'k8s', fallback: '', env: {} })).toThrow(
      /executor\.k8s\.weightage must be a whole number, got "heavy"/,
    );
    expect(() => loadExecutorConfig({ defaultPlugin: 'k8s', fallback: '', env: { K8S_POD_LABELS: '{oops' } })).toThrow(
      /K8S_POD_LABELS is not valid JSON/,
    );
    expect(() => loadExecutorConfig({ fallback: '', env: {} })).toThrow(/no executor named: pass --executor NAME/);
  });
});
