import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { rsaPair } from '@buildcluster/testkit/keys';
import { loadConfig } from '../../src/config.js';

/*
 * The Kubernetes example must start a broker: the Deployment's environment, its Secret's values
 * filled with samples and Kubernetes' $(VAR) expansion applied, is read by the broker's own
 * configuration loader; the Redis Cluster values carry the settings the broker's guarantees need.
 */
const deployFile = (name: string) => readFileSync(new URL(`../../deploy/kubernetes/${name}`, import.meta.url), 'utf8');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form YAML, read field by field
type Manifest = Record<string, any>;

function documents(name: string): Manifest[] {
  return parseAllDocuments(deployFile(name)).map((doc) => doc.toJS() as Manifest);
}

describe('the Kubernetes example', () => {
  const manifests = documents('broker.yaml');
  const secret = manifests.find((m) => m.kind === 'Secret')!;
  const deployment = manifests.find((m) => m.kind === 'Deployment')!;
  const container = deployment.spec.template.spec.containers[0];

  it('runs the broker against the Redis Cluster with its durability settings', () => {
    const api = rsaPair();
    const queue = rsaPair();
    // The Secret's files, written where the Deployment mounts them.
    const keys = mkdtempSync(join(tmpdir(), 'bcb-k8s-'));
    const samples: Record<string, string> = {
      'database-url': 'postgres://broker:secret@postgres:5432/broker',
      'redis-password': 's3cret',
    };
    writeFileSync(join(keys, 'api-jwt-public-key.pem'), api.publicKey);
    writeFileSync(join(keys, 'queue-jwt-private-key.pem'), queue.privateKey);
    expect(Object.keys(secret.stringData).sort()).toEqual(
      ['api-jwt-public-key.pem', 'database-url', 'queue-jwt-private-key.pem', 'redis-password'].sort(),
    );
    const env: Record<string, string> = {};
    for (const item of container.env as EnvVar[]) {
      if (item.valueFrom) {
        expect(item.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
        env[item.name] = samples[item.valueFrom.secretKeyRef.key]!;
      } else {
        // Kubernetes expands $(NAME) from the variables listed before it.
        env[item.name] = item
          .value!.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env[name] ?? '')
          .replace('/etc/buildcluster', keys);
      }
    }
    const config = loadConfig(env);
    expect(config.redisClusterNodes).toEqual(['buildcluster-redis-redis-cluster:6379']);
    expect(config.redisWaitReplicas).toBe(1);
    expect(config.databaseUrl).toBe(samples['database-url']);
    expect(config.redisUrl).toContain(':s3cret@');
    expect(config.queueJwtPrivateKey).toContain('PRIVATE KEY');
    // The mounts hold exactly the two key files the variables point at.
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'keys');
    expect(mount.mountPath).toBe('/etc/buildcluster');
    const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'keys');
    expect(volume.secret.items.map((i: { path: string }) => i.path).sort()).toEqual([
      'api-jwt-public-key.pem',
      'queue-jwt-private-key.pem',
    ]);
    // Probes on the broker's status routes.
    expect(container.readinessProbe.httpGet.path).toBe('/v4/status/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/v4/status');
  });

  it('sizes a Redis Cluster of three masters with a replica each, refusing writes a failover would lose', () => {
    const [values] = documents('redis-cluster-values.yaml');
    expect(values!.cluster).toEqual({ nodes: 6, replicas: 1 });
    expect(values!.existingSecret).toBe(secret.metadata.name);
    expect(Object.keys(secret.stringData)).toContain(values!.existingSecretPasswordKey);
    const settings = Object.fromEntries(
      String(values!.redis.configmap)
        .split('\n')
        .map((line) => line.trim().split(/\s+/) as [string, string]),
    );
    expect(settings).toMatchObject({
      'min-replicas-to-write': '1',
      appendonly: 'yes',
      appendfsync: 'always',
    });
    // The seed the broker is given is the chart's service for this release.
    const seed = (container.env as EnvVar[]).find((e) => e.name === 'REDIS_CLUSTER_NODES')!.value!;
    expect(seed).toMatch(/^buildcluster-redis-redis-cluster:6379$/);
  });
});
