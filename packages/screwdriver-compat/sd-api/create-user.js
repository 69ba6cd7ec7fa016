'use strict';

/**
 * Creates a Screwdriver user the way the API's OAuth login does (UserFactory.create), against the
 * datastore of the API configuration in NODE_CONFIG_DIR. Screwdriver has no other way to make a user:
 * it creates them on their first OAuth login, and this SCM has no OAuth server.
 *
 *   node create-user.js USERNAME SCM_CONTEXT  → prints the user row as JSON
 */
const config = require('config');
const Models = require('screwdriver-models');
const ScmRouter = require('screwdriver-scm-router');

async function main() {
  const [username, scmContext] = process.argv.slice(2);

  if (!username || !scmContext) throw new Error('usage: node create-user.js USERNAME SCM_CONTEXT');

  const datastoreConfig = config.get('datastore');
  // eslint-disable-next-line import/no-dynamic-require, global-require
  const Datastore = require(`screwdriver-datastore-${datastoreConfig.plugin}`);
  const datastore = new Datastore({ ...datastoreConfig[datastoreConfig.plugin] });
  const scm = new ScmRouter({ scms: config.get('scms') });
  const users = Models.UserFactory.getInstance({
    datastore,
    scm,
    password: config.get('auth').encryptionPassword,
  });

  try {
    const existing = await users.get({ username, scmContext });
    const user = existing || (await users.create({ username, scmContext, token: `scm-token-of-${username}` }));

    process.stdout.write(`${JSON.stringify(user.toJson())}\n`);
  } finally {
    await datastore.client.close();
  }
}

main().catch((err) => {
  process.stderr.write(`create-user: ${err.stack || err.message}\n`);
  process.exit(1);
});
