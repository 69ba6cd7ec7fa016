import { inject } from 'vitest';
import { mintApiToken as mintWith, type ApiTokenOptions } from '@buildcluster/testkit/tokens';

/** An RS256 API token signed with the test broker's Screwdriver API key (provided by broker-setup.ts). */
export function mintApiToken(options: Omit<ApiTokenOptions, 'privateKey'> = {}): string {
  return mintWith({ ...options, privateKey: inject('apiPrivateKey') });
}
