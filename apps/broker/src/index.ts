export { buildApp, brokerApp, fastifyOptions, BODY_LIMIT } from './app.js';
export { loadConfig, ConfigError, EnvironmentSchema, type BrokerConfig } from './config.js';
export { migrate } from './db/migrate.js';
export { migrationsList } from './migrations/index.js';
export { Errors, BrokerError } from './errors.js';
