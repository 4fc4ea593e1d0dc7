import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration tests start Chromium and servers; keep parallelism modest.
    maxWorkers: 2,
    env: { WREN_ALLOW_PRIVATE_NETWORKS: 'true' },
  },
});
