import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveRunConfig } from '../src/cli/run-config.js';
import { generateClusterKeys } from '../src/keygen.js';

/*
 * The deploy examples must keep working with the CLI they start: their flags and variables are fed
 * to the CLI's own configuration parser, placeholders filled with sample values.
 */

const deployFile = (path: string) => readFileSync(new URL(`../deploy/${path}`, import.meta.url), 'utf8');
const keys = generateClusterKeys('aws-usw2');
const fill = (text: string) =>
  text
    .replaceAll('<BROKER_URL>', 'https://broker.example.com')
    .replaceAll('<CLUSTER_NAME>', 'aws-usw2')
    .replace(/<COMMAND THAT LAUNCHES ONE BUILD[^>]*>/, '/opt/build/start-build.sh');

interface ContainerDefinition {
  command: string[];
  environment: Array<{ name: string; value: string }>;
  secrets: Array<{ name: string; valueFrom: string }>;
  stopTimeout: number;
}

describe('deploy examples', () => {
  it('ECS: the task definition runs the CLI with its key from Secrets Manager', () => {
    const task = JSON.parse(deployFile('ecs/task-definition.json')) as { containerDefinitions: ContainerDefinition[] };
    const container = task.containerDefinitions[0]!;
    expect(container.secrets.map((s) => s.name)).toEqual(['BUILDCLUSTER_PRIVATE_KEY']);
    expect(container.secrets[0]!.valueFrom).toMatch(/^arn:aws:secretsmanager:<REGION>:<ACCOUNT_ID>:secret:/);
    // ECS hands the secret's value to the container as this variable.
    const env: Record<string, string> = { BUILDCLUSTER_PRIVATE_KEY: keys.privateKeyPem };
    for (const { name, value } of container.environment) env[name] = fill(value);
    const [command, ...flags] = container.command;
    expect(command).toBe('run');
    const config = resolveRunConfig(flags, env);
    expect(config).toMatchObject({
      brokerUrl: 'https://broker.example.com',
      cluster: 'aws-usw2',
      privateKey: keys.privateKeyPem,
      signOption: { ...keys.signOption },
      command: '/opt/build/start-build.sh',
      concurrency: 4,
    });
    // Fargate's longest stop timeout: running commands get that long to finish after SIGTERM.
    expect(container.stopTimeout).toBe(120);
  });

  it('EKS: the Deployment runs the CLI with the key and sign option mounted from the Secret', () => {
    const manifest = deployFile('eks/worker.yaml');
    const args = [...manifest.matchAll(/^ {12}- (run|--[a-z-]+=\S+)$/gm)].map((m) => fill(m[1]!));
    expect(args[0]).toBe('run');
    expect(manifest).toMatch(/mountPath: \/etc\/buildcluster/);
    const secret = deployFile('eks/secret.yaml');
    for (const key of ['cluster.key.pem', 'sign-option.json']) expect(secret).toContain(`  ${key}: |`);
    // The files the Secret mounts, written for real in a temporary folder standing in for /etc/buildcluster.
    const dir = mkdtempSync(join(tmpdir(), 'bcw-deploy-'));
    writeFileSync(join(dir, 'cluster.key.pem'), keys.privateKeyPem);
    writeFileSync(join(dir, 'sign-option.json'), JSON.stringify(keys.signOption));
    const config = resolveRunConfig(
      args.slice(1).map((a) => a.replace('/etc/buildcluster/', `${dir}/`)),
      {},
    );
    expect(config).toMatchObject({
      cluster: 'aws-usw2',
      signOption: keys.signOption,
      concurrency: 4,
      command: '/opt/build/start-build.sh',
    });
    expect(args).toEqual([
      'run',
      '--broker=https://broker.example.com',
      '--cluster=aws-usw2',
      '--key=/etc/buildcluster/cluster.key.pem',
      '--sign-option=/etc/buildcluster/sign-option.json',
      '--exec=/opt/build/start-build.sh',
      '--concurrency=4',
    ]);
  });

  it('EKS executor mode: the Deployment runs executor-k8s from the ConfigMap, with the pod permissions it needs', () => {
    const text = deployFile('eks/executor-worker.yaml');
    const docs = parseAllDocuments(fill(text)).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const kind = (k: string) => docs.filter((d) => d.kind === k);
    const deployment = kind('Deployment')[0]!;
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(pod.serviceAccountName).toBe('buildcluster-worker');
    expect(pod.automountServiceAccountToken).toBe(true);

    // The Role lets that service account do what executor-k8s does, in the namespace builds run in.
    const [role] = kind('Role');
    const [binding] = kind('RoleBinding');
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'buildcluster-worker', namespace: 'buildcluster' }]);
    expect(binding!.roleRef.name).toBe(role!.metadata.name);
    const verbs = (resource: string) =>
      role!.rules
        .filter((r: { resources: string[] }) => r.resources.includes(resource))
        .flatMap((r: { verbs: string[] }) => r.verbs);
    expect(verbs('pods')).toEqual(expect.arrayContaining(['create', 'get', 'list', 'delete', 'deletecollection']));
    expect(verbs('pods/status')).toContain('get');

    // The mounted files (Secret and ConfigMap), written for real, then the CLI's own parser.
    const dir = mkdtempSync(join(tmpdir(), 'bcw-deploy-exec-'));
    writeFileSync(join(dir, 'cluster.key.pem'), keys.privateKeyPem);
    writeFileSync(join(dir, 'sign-option.json'), JSON.stringify(keys.signOption));
    const configMap = kind('ConfigMap')[0]!;
    writeFileSync(join(dir, 'executor.yaml'), configMap.data['executor.yaml']);
    const mounts = Object.fromEntries(
      container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m.mountPath]),
    );
    expect(mounts).toEqual({ credentials: '/etc/buildcluster', 'executor-config': '/etc/buildcluster-executor' });
    const args = (container.args as string[]).map((a) =>
      a.replace('/etc/buildcluster-executor/', `${dir}/`).replace('/etc/buildcluster/', `${dir}/`),
    );
    const env = Object.fromEntries(
      container.env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(args[0]).toBe('run');
    const config = resolveRunConfig(args.slice(1), env);
    if (config === 'help') throw new Error('unexpected help');
    expect(config.command).toBeUndefined();
    expect(config.concurrency).toBe(10);
    expect(config.health).toEqual({ port: 8080, host: '0.0.0.0' });
    expect(config.executor!.spec).toBe('k8s');
    expect(config.executor!.startTimeoutMs).toBe(300_000);
    expect(config.executor!.config.defaultPlugin).toBe('k8s');
    expect(config.executor!.config.executors).toEqual([
      expect.objectContaining({
        name: 'k8s',
        options: expect.objectContaining({
          kubernetes: expect.objectContaining({ host: 'kubernetes.default', jobsNamespace: 'sd-builds' }),
          launchVersion: 'stable',
        }),
      }),
    ]);
    expect(Object.keys(config.executor!.config.ecosystem).sort()).toEqual(['api', 'store', 'ui']);

    // The probes hit the health server the args turn on.
    expect(container.ports).toEqual([{ name: 'health', containerPort: 8080 }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 'health' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'health' });
  });
});
