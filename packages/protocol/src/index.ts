export * from './common.js';
export * from './clusters.js';
export * from './builds.js';
export * from './queue.js';
export * from './events.js';
export * from './console.js';
export * from './sign-option-convention.js';
