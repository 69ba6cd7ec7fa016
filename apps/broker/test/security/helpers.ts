import type { FastifyInstance, InjectOptions } from 'fastify';
import type { SignOption } from '@buildcluster/protocol';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startLoggedReplica, type LoggedBroker } from '../support/broker.js';
import { ecPair, forgeJwt, clusterClaims, rsaPair, type PemPair } from '@buildcluster/testkit/forge';
import { refusalProblems, type Answer } from '@buildcluster/testkit/answers';

/** A registered cluster as its workers know it. */
export interface TestCluster {
  name: string;
  keys: PemPair;
  signOption: SignOption;
  /** a valid worker token, minted now */
  token(over?: Record<string, unknown>): string;
}

export function clusterFixture(name: string, algorithm: 'ES256' | 'RS256' = 'ES256'): TestCluster {
  const keys = algorithm === 'ES256' ? ecPair() : rsaPair();
  const signOption: SignOption = {
    issuer: `iss-${name}`,
    subject: `sub-${name}`,
    audience: 'buildcluster-broker',
    expiresIn: 900,
    algorithm,
  };
  return { name, keys, signOption, token: (over = {}) => forgeJwt(algorithm, clusterClaims(signOption, over), keys.privateKey) };
}

export async function register(app: FastifyInstance, adminToken: string, cluster: TestCluster): Promise<void> {
  const res = await app.inject({
    method: 'PUT',
    url: '/v4/buildClusters',
    headers: { authorization: `Bearer ${adminToken}` },
    payload: {
      name: cluster.name,
      scmOrganization: 'screwdriver-cd',
      scmContext: 'github:github.com',
      managedBy: 'screwdriver',
      publicKey: cluster.keys.publicKey,
      signOption: cluster.signOption,
    },
  });
  if (res.statusCode !== 201) throw new Error(`registering ${cluster.name}: ${res.statusCode} ${res.body}`);
}

/** A broker with clusters alpha (ES256) and beta (RS256), and a replica whose log is captured. */
export interface SecurityBroker {
  broker: TestBroker;
  logged: LoggedBroker;
  alpha: TestCluster;
  beta: TestCluster;
  close(): Promise<void>;
}

export async function startSecurityBroker(options: { listen?: boolean } = {}): Promise<SecurityBroker> {
  const broker = await startTestBroker({ listen: options.listen ?? false });
  const alpha = clusterFixture('alpha', 'ES256');
  const beta = clusterFixture('beta', 'RS256');
  await register(broker.app, broker.adminToken, alpha);
  await register(broker.app, broker.adminToken, beta);
  const logged = await startLoggedReplica(broker.config);
  return {
    broker,
    logged,
    alpha,
    beta,
    async close() {
      await logged.close();
      await broker.close();
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function send(app: FastifyInstance, options: InjectOptions): Promise<Answer> {
  const res = await app.inject(options);
  return { statusCode: res.statusCode, body: res.body, headers: res.headers };
}

/** Sends through the logged replica, with its log reset first, and returns the answer. */
export async function sendLogged(logged: LoggedBroker, options: InjectOptions): Promise<Answer> {
  logged.reset();
  return send(logged.app, options);
}

/** Asserts a proper refusal; the message lists every problem with the answer. */
export function expectRefusal(answer: Answer, options: { status?: number | number[]; secrets?: string[] } = {}): void {
  const problems = refusalProblems(answer, options);
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n  answer: ${answer.statusCode} ${answer.body.slice(0, 400)}`);
}

/**
 * The refusal was logged (after sendLogged): the replica's log has a line for the request that
 * carries its 4xx status, and no line carries the token.
 */
export function expectLogged(logged: LoggedBroker, status: number, secrets: string[] = []): void {
  const completed = logged.lines.filter((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === status);
  if (completed.length === 0)
    throw new Error(`no log line with status ${status}; last lines: ${JSON.stringify(logged.lines.slice(-3))}`);
  const text = logged.text();
  for (const secret of secrets) {
    const signature = secret.split('.')[2] ?? secret;
    if (text.includes(secret) || (signature.length >= 16 && text.includes(signature))) throw new Error('a token is in the log');
  }
}
