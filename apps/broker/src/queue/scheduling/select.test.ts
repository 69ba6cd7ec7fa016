import { describe, expect, it } from 'vitest';
import type { StartMessage } from '@buildcluster/protocol';
import type { CachedCluster } from '../../clusters/types.js';
import { pickWeighted, selectCluster } from './select.js';

function cluster(name: string, fields: Partial<CachedCluster> = {}): CachedCluster {
  return {
    name,
    scmOrganization: 'screwdriver-cd',
    scmContext: 'github:github.com',
    isActive: true,
    queue: name,
    queueKey: name,
    managedBy: 'screwdriver',
    weightage: 100,
    provider: null,
    signOption: { issuer: name, subject: name, audience: 'broker', expiresIn: 3600, algorithm: 'ES256' },
    keys: [],
    ...fields,
  };
}

function build(fields: Partial<StartMessage> = {}): StartMessage {
  return { buildId: 1, pipeline: { id: 1, name: 'acme/app', scmContext: 'github:github.com' }, ...fields };
}

const aws = { name: 'aws', region: 'us-west-2', accountId: '123456789012' };

describe('selectCluster', () => {
  it('takes the cluster named by buildClusterName, before the annotation', () => {
    const clusters = [cluster('a'), cluster('b')];
    const s = selectCluster(build({ buildClusterName: 'b', annotations: { 'screwdriver.cd/buildCluster': 'a' } }), clusters);
    expect(s).toMatchObject({ kind: 'cluster', cluster: { name: 'b' } });
  });

  it('takes the cluster named by the screwdriver.cd/buildCluster annotation', () => {
    const s = selectCluster(build({ annotations: { 'screwdriver.cd/buildCluster': 'a' } }), [cluster('a'), cluster('b')]);
    expect(s).toMatchObject({ kind: 'cluster', cluster: { name: 'a' } });
  });

  it('refuses an unknown requested cluster with 400 naming it', () => {
    expect(selectCluster(build({ buildClusterName: 'nope' }), [cluster('a')])).toEqual({
      kind: 'refused',
      statusCode: 400,
      message: 'build cluster "nope" does not exist',
    });
  });

  it('refuses a requested cluster of another scmContext with 403', () => {
    const s = selectCluster(build({ buildClusterName: 'gl' }), [cluster('gl', { scmContext: 'gitlab:gitlab.com' })]);
    expect(s).toMatchObject({ kind: 'refused', statusCode: 403 });
    expect(s.kind === 'refused' && s.message).toContain('"gl"');
  });

  it('lets only its own organization use an external cluster', () => {
    const ext = cluster('team', { managedBy: 'external', scmOrganization: 'acme' });
    expect(selectCluster(build({ buildClusterName: 'team' }), [ext])).toMatchObject({
      kind: 'cluster',
      cluster: { name: 'team' },
    });
    const other = build({ buildClusterName: 'team', pipeline: { name: 'evil/app', scmContext: 'github:github.com' } });
    expect(selectCluster(other, [ext])).toMatchObject({ kind: 'refused', statusCode: 403 });
  });

  it('falls through to the managed pool when the requested cluster is inactive', () => {
    const s = selectCluster(build({ buildClusterName: 'off' }), [cluster('off', { isActive: false }), cluster('on')]);
    expect(s).toMatchObject({ kind: 'cluster', cluster: { name: 'on' } });
  });

  it('never picks an external cluster, another context, an inactive or a weight-0 cluster at random', () => {
    const clusters = [
      cluster('ext', { managedBy: 'external' }),
      cluster('gl', { scmContext: 'gitlab:gitlab.com' }),
      cluster('off', { isActive: false }),
      cluster('optin', { weightage: 0 }),
      cluster('ok'),
    ];
    for (let i = 0; i < 200; i++) {
      expect(selectCluster(build(), clusters)).toMatchObject({ kind: 'cluster', cluster: { name: 'ok' } });
    }
  });

  it('keeps the build pending, with why, when nothing is eligible', () => {
    const s = selectCluster(build(), [cluster('ext', { managedBy: 'external' })]);
    expect(s.kind).toBe('pending');
    expect(s.kind === 'pending' && s.reason).toContain('github:github.com');
  });

  it('routes a build with a provider block only to a cluster of that provider, region and account', () => {
    const clusters = [
      cluster('onprem'),
      cluster('aws-west', { provider: aws }),
      cluster('aws-east', { provider: { ...aws, region: 'us-east-1' } }),
    ];
    for (let i = 0; i < 100; i++) {
      expect(selectCluster(build({ provider: aws }), clusters)).toMatchObject({ cluster: { name: 'aws-west' } });
      expect(selectCluster(build(), clusters)).toMatchObject({ cluster: { name: 'onprem' } });
    }
    expect(selectCluster(build({ provider: aws, buildClusterName: 'onprem' }), clusters)).toMatchObject({
      kind: 'refused',
      statusCode: 403,
    });
  });

  it('picks by weight', () => {
    const clusters = [cluster('a', { weightage: 10 }), cluster('b', { weightage: 30 }), cluster('c', { weightage: 60 })];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const n = 20000;
    for (let i = 0; i < n; i++) counts[pickWeighted(clusters, Math.random)!.name]! += 1;
    expect(Math.abs((counts.a! / n) * 100 - 10)).toBeLessThan(2);
    expect(Math.abs((counts.b! / n) * 100 - 30)).toBeLessThan(2);
    expect(Math.abs((counts.c! / n) * 100 - 60)).toBeLessThan(2);
  });

  it('maps the random point onto cumulative weights exactly', () => {
    const clusters = [cluster('a', { weightage: 1 }), cluster('b', { weightage: 3 })];
    expect(pickWeighted(clusters, () => 0)!.name).toBe('a');
    expect(pickWeighted(clusters, () => 0.2499)!.name).toBe('a');
    expect(pickWeighted(clusters, () => 0.25)!.name).toBe('b');
    expect(pickWeighted(clusters, () => 0.9999)!.name).toBe('b');
  });
});
