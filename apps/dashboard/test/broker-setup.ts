import type { TestProject } from 'vitest/node';
import { testBrokerKit } from '@buildcluster/testkit/broker';
import { API_PRIVATE_KEY } from '@buildcluster/testkit/tokens';
// The broker's TypeScript source, not its dist/: global setup resolves packages without the
// "source" condition, and dist/ may be stale or unbuilt while the broker is being worked on.
import * as brokerSource from '../../broker/src/index.js';

const { startTestBroker } = testBrokerKit(brokerSource);

/**
 * One real broker (its own PostgreSQL database and Redis prefix) for the component tests, started
 * in Node before the happy-dom tests run; they reach it over HTTP and WebSocket like the browser does.
 */
export default async function setup(project: TestProject) {
  const broker = await startTestBroker({ listen: true });
  project.provide('brokerUrl', broker.url);
  project.provide('adminToken', broker.adminToken);
  project.provide('sdapiToken', broker.sdapiToken);
  // The Screwdriver API's signing key of this test broker, so tests mint the tokens they need (test/tokens.ts).
  project.provide('apiPrivateKey', API_PRIVATE_KEY);
  return async () => {
    await broker.close();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    brokerUrl: string;
    adminToken: string;
    sdapiToken: string;
    apiPrivateKey: string;
  }
}
