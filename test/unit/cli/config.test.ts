import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveModelConfig } from '../../../src/config.js';

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
    };
    expect(loadConfig({}, env)).toMatchObject({
      port: 9001,
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
});

describe('resolveModelConfig', () => {
  it('is configured with a provider/model and its key', () => {
    expect(resolveModelConfig({ WREN_MODEL: 'openai/gpt-5-mini', OPENAI_API_KEY: 'k' })).toEqual({
      configured: true,
      provider: 'openai',
      model: 'gpt-5-mini',
      spec: 'openai/gpt-5-mini',
    });
    expect(
      resolveModelConfig({
        WREN_MODEL: 'openai-compatible/qwen/qwen3',
        OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:1/v1',
      }),
    ).toMatchObject({ configured: true, model: 'qwen/qwen3' });
  });

  it('says what to set when something is missing', () => {
    expect(resolveModelConfig({})).toMatchObject({
      configured: false,
      reason: expect.stringContaining('set WREN_MODEL=<provider>/<model>'),
    });
    expect(resolveModelConfig({ WREN_MODEL: 'gpt-5' })).toMatchObject({
      reason: expect.stringContaining('is not of the form <provider>/<model>'),
    });
    expect(resolveModelConfig({ WREN_MODEL: 'acme/x' })).toMatchObject({
      reason: expect.stringContaining('provider "acme" is unknown'),
    });
    expect(resolveModelConfig({ WREN_MODEL: 'openai/gpt-5-mini' })).toEqual({
      configured: false,
      reason: 'WREN_MODEL=openai/gpt-5-mini needs OPENAI_API_KEY to be set.',
    });
    expect(resolveModelConfig({ WREN_MODEL: 'openai-compatible/m' })).toMatchObject({
      reason: expect.stringContaining('OPENAI_COMPATIBLE_BASE_URL'),
    });
  });
});
