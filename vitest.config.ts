import { defineConfig } from 'vitest/config';

// Three tiers (docs/testing.md): `unit` needs no browser, server or database and runs in seconds
// (`npm run test:unit`); `integration` runs real servers, SQLite/PostgreSQL and Chromium per
// module; `e2e` drives whole runs through the API against the fixture sites. `vitest run` (and so
// `npm test`) runs all three.
const LOOPBACK = { WREN_ALLOW_PRIVATE_NETWORKS: 'true' };

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration tests start Chromium and servers; keep parallelism modest.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // Threads start faster than forks; unit tests need no process of their own.
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'],
          pool: 'threads',
        },
      },
      // Fixture sites and fake model servers live on loopback, which the safe default refuses:
      // these tiers opt in; unit tests run with the default a fresh install has.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          env: LOOPBACK,
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], env: LOOPBACK, isolate: false },
      },
    ],
  },
});
