export { jsonSchemaProblem } from '../json-schema/index.js';
export * from './credentials.js';
export * from './errors.js';
export * from './profiles.js';
export * from './results.js';
export * from './schemas.js';
export * from './sessions.js';
export * from './timeline.js';
export * from './urls.js';
