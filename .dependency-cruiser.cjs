/**
 * Import rules of src/, checked by `npm run lint` (docs/architecture.md explains them).
 *
 * LAYERS is the whole picture: every top-level module of src/ and the other modules it may import
 * (besides itself and src/core, which every module may import). Anything not listed is an error,
 * so an upward import (browser → engines), a new edge nobody agreed to, or a new folder without a
 * row fails the lint. On top of that: no cycles, and a folder is entered through its index.ts.
 *
 * Edges that break a rule today and are being removed are listed, one per line, in
 * .dependency-cruiser-known-violations.json (`npm run lint:deps:baseline` rewrites it); that list
 * only ever shrinks.
 */

/** @type {Record<string, { path: string, may: string[], why: string }>} */
const LAYERS = {
  core: { path: '^src/core/', may: [], why: 'the leaf: ids, errors, shared enums and types' },
  config: {
    path: '^src/config\\.ts$',
    may: ['net'],
    why: 'read once at start, passed down (parses the egress policy)',
  },
  log: { path: '^src/log\\.ts$', may: ['config'], why: 'the pino logger' },
  'json-schema': {
    path: '^src/json-schema/',
    may: [],
    why: 'the one JSON Schema validator (RE2 patterns, declared dialect)',
  },
  contract: {
    path: '^src/contract/',
    may: ['json-schema'],
    why: 'request/response schemas of the HTTP API',
  },
  credentials: {
    path: '^src/credentials/',
    may: [],
    why: 'TOTP, vault, masking, API keys; storage ports',
  },
  net: { path: '^src/net/', may: [], why: 'address checks shared by browser and webhooks' },
  llm: { path: '^src/llm/', may: ['json-schema'], why: 'model providers; knows nothing of pages' },
  store: {
    path: '^src/store/',
    may: ['contract', 'credentials'],
    why: 'SQL; implements the credential ports; records carry contract types (the stored request)',
  },
  browser: { path: '^src/browser/', may: ['net'], why: 'Playwright; knows nothing of models' },
  artifacts: { path: '^src/artifacts/', may: ['contract', 'store'], why: 'files of a run' },
  sessions: {
    path: '^src/sessions/',
    may: ['browser', 'contract', 'net', 'store'],
    why: 'persistent browsers',
  },
  profiles: {
    path: '^src/profiles/',
    may: ['browser', 'contract', 'credentials', 'sessions', 'store'],
    why: 'saved browser state',
  },
  scripts: {
    path: '^src/scripts/',
    may: [],
    why: 'code mode: compiling a run into a script, signatures, the TypeScript form (pure)',
  },
  primitives: {
    path: '^src/primitives/',
    may: ['browser', 'llm'],
    why: 'AI primitives (act, extract, observe, validate, locate) on a live page',
  },
  mcp: {
    path: '^src/mcp/',
    may: ['contract'],
    why: 'MCP tools over a backend port; stdio and streamable HTTP transports',
  },
  engines: {
    path: '^src/engines/',
    may: ['artifacts', 'browser', 'credentials', 'json-schema', 'llm', 'scripts', 'sessions'],
    why: 'the agents; one Engine interface',
  },
  runs: {
    path: '^src/runs/',
    may: [
      'artifacts',
      'config',
      'contract',
      'credentials',
      'engines',
      'llm',
      'log',
      'net',
      'primitives',
      'scripts',
      'store',
    ],
    why: 'run service, worker, webhooks, sdk actions, code mode',
  },
  api: {
    path: '^src/api/',
    may: [
      'artifacts',
      'browser',
      'config',
      'contract',
      'credentials',
      'llm',
      'log',
      'mcp',
      'net',
      'profiles',
      'runs',
      'sessions',
    ],
    why: 'HTTP routes; talk to services, never to the store',
  },
  app: {
    path: '^src/app/',
    may: [
      'api',
      'artifacts',
      'browser',
      'config',
      'contract',
      'credentials',
      'engines',
      'llm',
      'log',
      'net',
      'profiles',
      'runs',
      'sessions',
      'store',
    ],
    why: 'createWren: builds every service and the HTTP app',
  },
  sdk: {
    path: '^src/sdk/',
    may: ['api', 'app', 'config', 'contract', 'engines', 'log', 'scripts'],
    why: 'TypeScript client and embedded mode',
  },
  cli: {
    path: '^src/cli/',
    may: ['api', 'app', 'config', 'credentials', 'log', 'mcp', 'sdk', 'store'],
    why: 'the wren command (orgs and keys straight from credentials/, without loading the API)',
  },
};

const layerRules = Object.entries(LAYERS).map(([name, layer]) => ({
  name: `layer-${name}`,
  comment: `${name} (${layer.why}) may import only: ${['core', ...layer.may].join(', ')}`,
  severity: 'error',
  from: { path: layer.path },
  to: {
    path: '^src/',
    pathNot: [layer.path, LAYERS.core.path, ...layer.may.map((m) => LAYERS[m].path)],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-unknown',
      comment: 'every module of src/ belongs to a row of LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: Object.values(LAYERS).map((l) => l.path),
      },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'no import cycles, type-only ones included',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'playwright-runtime-in-browser-only',
      comment:
        "only browser/ loads Playwright (others may import its types: code mode and the SDK hand pages to scripts); the SDK's Wren loads it lazily to connect to a session's browser",
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/browser/', '^src/sdk/wren\\.ts$'] },
      to: { path: 'node_modules/playwright', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-deep-import',
      comment: 'another folder is entered through its index.ts, never past it',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: [
          '^src/$1/',
          '^src/[^/]+/index\\.ts$',
          // the package's second entry (`wren/embedded`): server code the SDK's index must not load
          '^src/sdk/embedded\\.ts$',
          // the value lists the web UI bundles; core/index.ts would pull node:crypto into it
          '^src/core/enums\\.ts$',
        ],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.test\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: {
      text: { highlightFocused: false },
    },
  },
};

// LAYERS is not a dependency-cruiser option; the architecture test reads it from here.
Object.defineProperty(config, 'LAYERS', { value: LAYERS, enumerable: false });
module.exports = config;
