import { mintLocalToken } from './api-keys.js';

/**
 * `pnpm api-token admin|sdapi|viewer [--expires SECONDS]`: an API token signed with the quick start's
 * local key (`viewer`: a cluster maintainer who sees everything and changes nothing).
 */
function main(argv: string[]): void {
  const scope = argv[0];
  if (scope !== 'admin' && scope !== 'sdapi' && scope !== 'viewer') {
    process.stderr.write(
      'usage: pnpm api-token admin|sdapi|viewer [--expires SECONDS]\n  mints an API token with the local key of the quick start (.data/keys)\n',
    );
    process.exit(2);
  }
  let expires = 3600;
  const at = argv.indexOf('--expires');
  if (at !== -1) {
    const value = Number(argv[at + 1]);
    if (!Number.isInteger(value) || value < 1 || value > 30 * 86400) {
      process.stderr.write('--expires must be a whole number of seconds between 1 and 2592000\n');
      process.exit(2);
    }
    expires = value;
  }
  process.stdout.write(`${mintLocalToken(scope, expires)}\n`);
}

main(process.argv.slice(2));
