/**
 * The app wiring: `createWren` builds the store, every service, the worker and the HTTP app from
 * one configuration. `wren server`, the SDK's embedded mode, the tests and the benches start Wren
 * here; nothing below imports this folder.
 */
export { type CreateWrenOptions, createWren, type Wren } from './wren.js';
