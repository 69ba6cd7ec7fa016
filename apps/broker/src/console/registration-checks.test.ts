import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../test/support/broker.js';
import { registration } from '@buildcluster/testkit/clusters';

/** What a first registration from keygen's output runs into: placeholders left in, enum mistakes. */
describe('registration checks', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => broker.close());
  const put = (payload: Record<string, unknown>) =>
    broker.app.inject({
      method: 'PUT',
      url: '/v4/buildClusters',
      headers: { authorization: `Bearer ${broker.adminToken}` },
      payload,
    });

  it("refuses keygen's <REPLACE: ...> placeholders, naming the field", async () => {
    const { body } = registration('fresh-1');
    const res = await put({ ...body, scmOrganization: '<REPLACE: the SCM organization whose builds may run here, e.g. my-org>' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^body\/scmOrganization still holds keygen's placeholder/);
    const nested = await put({ ...body, signOption: { ...body.signOption, issuer: '<REPLACE: x>' } });
    expect(nested.json().message).toMatch(/^body\/signOption\/issuer still holds/);
    expect(
      (await broker.app.inject({ url: '/v4/buildClusters/fresh-1', headers: { authorization: `Bearer ${broker.adminToken}` } }))
        .statusCode,
    ).toBe(404);
  });

  it('names the allowed values of an enum', async () => {
    const { body } = registration('fresh-2');
    const res = await put({ ...body, managedBy: 'screwdrivr' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/managedBy/);
    expect(res.json().message).toMatch(/"screwdriver", "external"/);
    const alg = await put({ ...body, signOption: { ...body.signOption, algorithm: 'HS256' } });
    expect(alg.json().message).toMatch(/"RS256", "RS384", "RS512", "ES256", "ES384", "PS256"/);
  });
});
