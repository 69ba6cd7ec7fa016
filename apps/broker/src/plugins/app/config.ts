import fp from 'fastify-plugin';
import { loadConfig, type BrokerConfig } from '../../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: BrokerConfig;
  }
}

export interface ConfigOptions {
  /** A configuration already read (tests, the quick start); without it the environment is read here. */
  config?: BrokerConfig;
}

/** `app.config`: the checked configuration every other plugin reads (they declare `config` as a dependency). */
export default fp<ConfigOptions>(
  async (app, opts) => {
    app.decorate('config', opts.config ?? loadConfig());
  },
  { name: 'config' },
);
