import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
