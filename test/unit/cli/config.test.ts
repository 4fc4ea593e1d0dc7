import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      logLevel: 'info',
      workerEnabled: true,
      maxConcurrency: 2,
      runTimeoutMs: 1_800_000,
      maxStepsCap: 100,
      // docs/configuration.md: WREN_OBSERVATION_TOKEN_BUDGET defaults to 30000.
      observationTokenBudget: 30_000,
      bodyLimitBytes: 1_048_576,
      allowPrivateNetworks: false,
      seedApiKey: null,
    });
    expect(config.dataDir).toBe(`${process.cwd()}/.wren`);
  });

  it('reads WREN_* variables and lets flags override them', () => {
    const env = {
      WREN_PORT: '9001',
      WREN_DATA_DIR: '/tmp/w',
      WREN_WORKER: 'false',
      WREN_MAX_CONCURRENCY: '4',
      WREN_LOG_LEVEL: 'debug',
      WREN_OBSERVATION_TOKEN_BUDGET: '12000',
    };
    expect(loadConfig({}, env)).toMatchObject({
      port: 9001,
      observationTokenBudget: 12_000,
      dataDir: '/tmp/w',
      workerEnabled: false,
      maxConcurrency: 4,
      logLevel: 'debug',
    });
    expect(loadConfig({ port: 1234, workerEnabled: true }, env)).toMatchObject({
      port: 1234,
      workerEnabled: true,
    });
  });

  it('names the variable and the problem in bad values', () => {
    expect(() => loadConfig({}, { WREN_PORT: 'eighty' })).toThrow(
      new ConfigError('WREN_PORT must be an integer between 0 and 65535, got "eighty"'),
    );
    expect(() => loadConfig({}, { WREN_WORKER: 'maybe' })).toThrow(
      'WREN_WORKER must be true or false, got "maybe"',
    );
    expect(() => loadConfig({ logLevel: 'loud' }, {})).toThrow(
      /log level must be one of fatal, error/,
    );
  });

  it('reads the worker live endpoint settings and checks the advertised URL', () => {
    expect(loadConfig({}, {}).live).toEqual({ host: '127.0.0.1', port: 0, advertiseUrl: null });
    expect(
      loadConfig(
        {},
        {
          WREN_LIVE_HOST: '0.0.0.0',
          WREN_LIVE_PORT: '8001',
          WREN_LIVE_ADVERTISE_URL: 'ws://worker-3.internal:8001/',
        },
      ).live,
    ).toEqual({ host: '0.0.0.0', port: 8001, advertiseUrl: 'ws://worker-3.internal:8001' });
    expect(() => loadConfig({}, { WREN_LIVE_ADVERTISE_URL: 'http://worker-3:8001' })).toThrow(
      'WREN_LIVE_ADVERTISE_URL must be a ws:// or wss:// URL API nodes can reach, got "http://worker-3:8001"',
    );
    expect(() => loadConfig({}, { WREN_LIVE_PORT: '-1' })).toThrow(/WREN_LIVE_PORT must be/);
  });
});
