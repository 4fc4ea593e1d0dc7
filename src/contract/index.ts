export * from './credentials.js';
export * from './errors.js';
export * from './json-schema.js';
export * from './results.js';
export * from './schemas.js';
export * from './timeline.js';
export * from './urls.js';
