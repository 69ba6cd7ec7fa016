'use strict';

/* eslint-disable no-underscore-dangle -- scm-base's contract is the underscored methods */

/**
 * Source-control plugin for the Screwdriver API that needs no network: it serves the repositories
 * named in its configuration, each with one branch, one commit and a fixed screwdriver.yaml.
 * The API loads it through screwdriver-scm-router as plugin "test":
 *
 *   scms:
 *     test:
 *       plugin: test
 *       config:
 *         host: scm.test
 *         repos:
 *           test-org/compat: { id: '101', branch: main, sha: <40 hex>, screwdriverYaml: '...' }
 *           test-org/other: { id: '102', ..., screwdriverYamlFile: /tmp/x.yaml }  # read at each request
 *
 * Every user may administer every repository; commit statuses and webhooks are accepted and ignored.
 */
const fs = require('fs');
const Scm = require('screwdriver-scm-base');

function notFound(message) {
  const err = new Error(message);

  err.statusCode = 404;

  return err;
}

class TestScm extends Scm {
  constructor(config = {}) {
    super(config);
    this.host = config.host || 'scm.test';
    this.repos = config.repos || {};
  }

  /** The repository of an scmUri `host:id:branch[:rootDir]`. */
  lookup(scmUri) {
    const [host, id] = String(scmUri).split(':');
    const entry = Object.entries(this.repos).find(([, repo]) => String(repo.id) === id);

    if (host !== this.host || !entry) throw notFound(`no repository ${scmUri} on ${this.host}`);

    const [name, repo] = entry;

    return { name, ...repo };
  }

  person(username) {
    return {
      id: username,
      avatar: `https://${this.host}/avatars/${encodeURIComponent(username)}.png`,
      name: username,
      username,
      url: `https://${this.host}/${encodeURIComponent(username)}`,
    };
  }

  _getScmContexts() {
    return [`test:${this.host}`];
  }

  _getScmContext() {
    return `test:${this.host}`;
  }

  async _canHandleWebhook() {
    return false;
  }

  async _getBellConfiguration() {
    // The API registers one OAuth strategy per SCM; nobody logs in through it (tests sign user JWTs).
    return {
      [`test:${this.host}`]: {
        provider: 'github',
        cookie: `test-${this.host}`,
        clientId: 'no-oauth',
        clientSecret: 'no-oauth',
        scope: [],
        isSecure: false,
        forceHttps: false,
      },
    };
  }

  async _parseUrl({ checkoutUrl, rootDir }) {
    const match = /^https:\/\/([^/]+)\/([^/]+\/[^/.#]+)\.git(?:#([^:]+))?$/.exec(checkoutUrl);

    if (!match || match[1] !== this.host) throw notFound(`${checkoutUrl} is not a repository of ${this.host}`);

    const repo = this.repos[match[2]];

    if (!repo) throw notFound(`no repository ${match[2]} on ${this.host}`);

    const uri = `${this.host}:${repo.id}:${match[3] || repo.branch}`;

    return rootDir ? `${uri}:${rootDir}` : uri;
  }

  async _decorateUrl({ scmUri }) {
    const repo = this.lookup(scmUri);
    const branch = scmUri.split(':')[2] || repo.branch;

    return {
      branch,
      name: repo.name,
      url: `https://${this.host}/${repo.name}/tree/${branch}`,
      rootDir: '',
      private: false,
    };
  }

  async _decorateCommit({ scmUri, sha }) {
    const repo = this.lookup(scmUri);
    const author = this.person(repo.author || 'committer');

    return {
      message: repo.commitMessage || 'a commit',
      author,
      committer: author,
      url: `https://${this.host}/${repo.name}/commit/${sha}`,
    };
  }

  async _decorateAuthor({ username }) {
    return this.person(username);
  }

  async _getPermissions() {
    return { admin: true, push: true, pull: true };
  }

  async _getOrgPermissions() {
    return { admin: true, member: true };
  }

  async _getCommitSha({ scmUri }) {
    return this.lookup(scmUri).sha;
  }

  async _getCommitRefSha({ owner, repo }) {
    const found = this.repos[`${owner}/${repo}`];

    if (!found) throw notFound(`no repository ${owner}/${repo} on ${this.host}`);

    return found.sha;
  }

  async _updateCommitStatus() {
    return null;
  }

  async _getFile({ scmUri, path }) {
    const repo = this.lookup(scmUri);

    if (path !== 'screwdriver.yaml') throw notFound(`no file ${path} in ${repo.name}`);

    // A file lets a test change the pipeline's configuration while the API runs (then sync the pipeline).
    return repo.screwdriverYamlFile ? fs.readFileSync(repo.screwdriverYamlFile, 'utf8') : repo.screwdriverYaml;
  }

  async _getChangedFiles() {
    return [];
  }

  async _getOpenedPRs() {
    return [];
  }

  async _getPrInfo({ prNum }) {
    throw notFound(`no pull request ${prNum}`);
  }

  async _addWebhook() {
    return null;
  }

  _getWebhookEventsMapping() {
    return { pr: 'pull_request', release: 'release', tag: 'create', commit: 'push' };
  }

  async _addDeployKey() {
    throw new Error('deploy keys are not offered by this SCM');
  }

  async _getBranchList({ scmUri }) {
    return [{ name: this.lookup(scmUri).branch }];
  }

  async _openPr() {
    throw new Error('pull requests are not offered by this SCM');
  }

  async _getCheckoutCommand({ org, repo, sha }) {
    return { name: 'sd-checkout-code', command: `echo "checking out ${org}/${repo} at ${sha}"` };
  }
}

module.exports = TestScm;
