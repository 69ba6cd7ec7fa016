import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLUSTER_NAME_PATTERN } from '@buildcluster/protocol/constants';
import { KEYGEN_ALGORITHMS, generateClusterKeys, registrationBody, type KeygenAlgorithm } from '../keygen.js';
import { parseFlags } from './parse.js';
import { KEYGEN_HELP, UsageError } from './usage.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `keygen`: writes the key pair and sign option, prints the registration body. Answers the exit code. */
export function keygenCommand(argv: string[], io: CliIo): number {
  const flags = parseFlags('keygen', argv, {
    cluster: { type: 'string' },
    algorithm: { type: 'string' },
    out: { type: 'string' },
  });
  if (flags.help) {
    io.stdout.write(KEYGEN_HELP);
    return 0;
  }
  const cluster = flags.cluster;
  if (typeof cluster !== 'string' || cluster === '')
    throw new UsageError('--cluster is required (the name to register the cluster under)', 'keygen');
  if (!new RegExp(CLUSTER_NAME_PATTERN).test(cluster)) {
    throw new UsageError(
      `--cluster "${cluster}" is not a cluster name (letters, digits, . _ -; starts with a letter or digit; at most 100)`,
      'keygen',
    );
  }
  const algorithm = (typeof flags.algorithm === 'string' ? flags.algorithm.toUpperCase() : 'ES256') as KeygenAlgorithm;
  if (!KEYGEN_ALGORITHMS.includes(algorithm)) {
    throw new UsageError(`--algorithm must be ${KEYGEN_ALGORITHMS.join(' or ')}, got "${String(flags.algorithm)}"`, 'keygen');
  }
  const dir = resolve(typeof flags.out === 'string' ? flags.out : '.');

  const files = {
    key: join(dir, `${cluster}.key.pem`),
    pub: join(dir, `${cluster}.pub.pem`),
    signOption: join(dir, `${cluster}.sign-option.json`),
  };
  const existing = Object.values(files).filter((f) => existsSync(f));
  if (existing.length > 0) {
    io.stderr.write(`buildcluster-worker: refusing to overwrite ${existing.join(', ')}; move them away or pick another --out\n`);
    return 1;
  }

  const keys = generateClusterKeys(cluster, algorithm);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // 'wx': fail rather than replace a file that appeared meanwhile; the private key is created 0600.
  writeFileSync(files.key, keys.privateKeyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(files.pub, keys.publicKeyPem, { mode: 0o644, flag: 'wx' });
  writeFileSync(files.signOption, `${JSON.stringify(keys.signOption, null, 2)}\n`, { mode: 0o644, flag: 'wx' });

  io.stdout.write(`${JSON.stringify(registrationBody(cluster, keys), null, 2)}\n`);
  io.stderr.write(
    [
      `wrote ${files.key} (private key, keep it on the cluster), ${files.pub} and ${files.signOption}`,
      'The registration body is on stdout. Replace its <REPLACE: ...> values, then, as a broker admin:',
      '  curl -X PUT "$BROKER/v4/buildClusters" -H "Authorization: Bearer $ADMIN_TOKEN" \\',
      '       -H "Content-Type: application/json" --data @body.json',
      '',
    ].join('\n'),
  );
  return 0;
}
