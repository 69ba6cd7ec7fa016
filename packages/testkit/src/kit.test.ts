import jwt from 'jsonwebtoken';
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { mintClusterToken, registration } from './clusters.js';
import { rsaPair } from './keys.js';
import { createEmptyDatabase } from './postgres.js';
import { seededRandom } from './random.js';
import { redisPrefix, TEST_REDIS_URL } from './redis.js';
import { API_PUBLIC_KEY, mintApiToken, mintScrewdriverToken } from './tokens.js';

describe('test kit', () => {
  it('replays the same sequence for the same seed, another for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const x of draw(7)) expect(x >= 0 && x < 1).toBe(true);
  });

  it('mints API tokens the test API key verifies, with the scope and lifetime asked for', () => {
    const claims = jwt.verify(mintApiToken({ scope: ['sdapi'], username: 'sd', expiresIn: 60 }), API_PUBLIC_KEY, {
      algorithms: ['RS256'],
    }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ scope: ['sdapi'], username: 'sd' });
    expect(claims.exp! - claims.iat!).toBe(60);
  });

  it('mints Screwdriver user tokens with the claims screwdriver-api signs', () => {
    const keys = rsaPair();
    const token = mintScrewdriverToken(keys.privateKey, { username: 'ann', scmContext: 'github:github.com', jwtid: 'j1' });
    const claims = jwt.verify(token, keys.publicKey, { algorithms: ['RS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      username: 'ann',
      scmContext: 'github:github.com',
      scmUserId: 'ann',
      scope: ['user'],
      jti: 'j1',
    });
  });

  it("mints cluster tokens with exactly the signOption's claims, verified by the registered public key", () => {
    const { body, keys } = registration('kit-1');
    const claims = jwt.verify(mintClusterToken(keys.privateKey, body.signOption), body.publicKey, {
      algorithms: ['ES256'],
    }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ iss: 'cluster-kit-1', sub: 'worker-kit-1', aud: 'buildcluster-broker' });
    expect(claims.exp! - claims.iat!).toBe(body.signOption.expiresIn);
  });

  it('removes only the keys under its own Redis prefix', async () => {
    const mine = redisPrefix('kit');
    const other = redisPrefix('kit');
    const redis = new Redis(TEST_REDIS_URL);
    try {
      await redis.set(`${mine.prefix}a`, '1');
      await redis.set(`${other.prefix}a`, '1');
      await mine.flush();
      expect(await redis.exists(`${mine.prefix}a`)).toBe(0);
      expect(await redis.exists(`${other.prefix}a`)).toBe(1);
    } finally {
      await other.flush();
      redis.disconnect();
    }
  });

  it('creates an empty database of its own and drops it', async () => {
    const db = await createEmptyDatabase('bcb_kit');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const tables = await client.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public'");
    await client.end();
    expect(tables.rowCount).toBe(0);
    await db.drop();
    const admin = new pg.Client({ connectionString: db.url.replace(db.name, 'postgres') });
    await admin.connect();
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
    await admin.end();
    expect(found.rowCount).toBe(0);
  });
});
