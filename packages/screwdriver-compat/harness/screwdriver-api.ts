import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call, type Answer } from './http.js';
import type { PemPair } from '@buildcluster/testkit/keys';
import { mintScrewdriverToken } from '@buildcluster/testkit/tokens';
import { SD_API_CONFIG_DIR, SD_API_DIR, SD_API_SERVER } from './paths.js';
import { freePort } from './ports.js';
import { Service } from './service.js';
import { createDatabase, type Database } from './stores.js';

/** The SCM of the test plugin (sd-api's screwdriver-scm-test): context `test:<host>`. */
export const SCM_HOST = 'scm.test';
export const SCM_CONTEXT = `test:${SCM_HOST}`;

export interface Repository {
  /** `org/repo`; the org is what the broker routes external clusters by. */
  name: string;
  id: string;
  branch: string;
  sha: string;
  screwdriverYaml: string;
  /** Read at each request instead of screwdriverYaml: write it, then sync the pipeline, to change its jobs. */
  screwdriverYamlFile?: string;
}

export interface ScrewdriverApiOptions {
  keys: PemPair;
  /** The public half of the broker's QUEUE_JWT_PRIVATE_KEY. */
  queueServicePublicKey: string;
  brokerUrl: string;
  repositories: Repository[];
  logFile?: string;
}

export interface ScrewdriverApi {
  url: string;
  service: Service;
  configDir: string;
  /** Creates (once) the user row OAuth would create, and a user JWT signed by the API key. */
  userToken(username: string): Promise<string>;
  request(method: string, path: string, token: string, body?: unknown): Promise<Answer>;
  stop: () => Promise<void>;
}

/** The configuration the test runs the API with (node-config, merged over the package's default.yaml). */
export function apiConfig(options: ScrewdriverApiOptions, port: number, database: Database): Record<string, unknown> {
  const uri = `http://127.0.0.1:${port}`;
  return {
    auth: {
      jwtPrivateKey: options.keys.privateKey,
      jwtPublicKey: options.keys.publicKey,
      jwtQueueServicePublicKey: options.queueServicePublicKey,
      cookiePassword: randomUUID() + randomUUID(),
      encryptionPassword: randomUUID() + randomUUID(),
      hashingPassword: randomUUID() + randomUUID(),
      https: false,
    },
    httpd: { port, host: '127.0.0.1', uri },
    datastore: {
      plugin: 'sequelize',
      sequelize: {
        dialect: 'postgres',
        host: database.host,
        port: database.port,
        database: database.name,
        username: database.user,
        password: database.password,
      },
    },
    executor: { plugin: 'queue', queue: { enabled: true, options: {} } },
    scms: {
      test: {
        plugin: 'test',
        config: {
          host: SCM_HOST,
          repos: Object.fromEntries(options.repositories.map(({ name, ...repo }) => [name, repo])),
        },
      },
    },
    ecosystem: {
      queue: options.brokerUrl,
      // No store or UI here; /v4/status?exhaustive asks the store too and gets a quick 404.
      store: `${uri}/no-store`,
      ui: `${uri}/no-ui`,
    },
  };
}

/** The real screwdriver-api (bin/server of the npm package) on a database of its own. */
export async function startScrewdriverApi(options: ScrewdriverApiOptions): Promise<ScrewdriverApi> {
  const database = await createDatabase('sdapi');
  const port = await freePort();
  const configDir = mkdtempSync(join(tmpdir(), 'sdc-api-config-'));
  writeFileSync(join(configDir, 'local.json'), JSON.stringify(apiConfig(options, port, database), null, 2));
  // A clean environment: the API maps many variables onto its configuration
  // (custom-environment-variables.yaml), and NODE_ENV picks config files.
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_CONFIG_DIR: `${SD_API_CONFIG_DIR}:${configDir}`,
    SUPPRESS_NO_CONFIG_WARNING: 'true',
  };
  const service = new Service('screwdriver-api', process.execPath, [SD_API_SERVER], {
    cwd: SD_API_DIR,
    env,
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await service.stop();
    await database.drop().catch(() => {});
    rmSync(configDir, { recursive: true, force: true });
  };
  try {
    await service.waitForOutput(/Server running at/, 90_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const users = new Set<string>();
  return {
    url,
    service,
    configDir,
    async userToken(username) {
      if (!users.has(username)) {
        await promisify(execFile)(process.execPath, ['create-user.js', username, SCM_CONTEXT], { cwd: SD_API_DIR, env });
        users.add(username);
      }
      // What the API's login signs for a user (auth plugin generateProfile + generateToken).
      return mintScrewdriverToken(options.keys.privateKey, { username, scmContext: SCM_CONTEXT, jwtid: randomUUID() });
    },
    request: (method, path, token, body) => call(method, `${url}${path}`, token, body),
    stop,
  };
}
