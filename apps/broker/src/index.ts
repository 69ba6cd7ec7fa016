export { buildApp, brokerApp, fastifyOptions, BODY_LIMIT } from './app.js';
export { loadConfig, ConfigError, type BrokerConfig } from './config.js';
export { migrate } from './db/migrate.js';
export { Errors, BrokerError } from './errors.js';
