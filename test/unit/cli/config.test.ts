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

describe('the configuration schema (docs/configuration.md: one zod schema, read once at start)', () => {
  it('reports every bad variable at once, each with its name, the rule and the value', () => {
    let error: unknown;
    try {
      loadConfig({}, { WREN_MAX_CONCURRENCY: '0', WREN_HAR: 'sometimes', WREN_ROLE: 'boss' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.split('; ').sort()).toEqual([
      'WREN_HAR must be true or false, got "sometimes"',
      'WREN_MAX_CONCURRENCY must be an integer between 1 and 256, got "0"',
      'WREN_ROLE must be one of all, api, worker, got "boss"',
    ]);
  });

  it('never repeats a secret value in the error', () => {
    expect(() => loadConfig({}, { WREN_DATABASE_URL: 'mysql://root:hunter2@db/wren' })).toThrow(
      new ConfigError(
        'WREN_DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for SQLite)',
      ),
    );
  });

  it('checks browser and recording settings', () => {
    expect(loadConfig({}, {}).browser).toEqual({
      executablePath: null,
      headless: true,
      viewport: null,
      recording: true,
      ffmpegPath: '/usr/bin/ffmpeg',
      har: { maxBodyBytes: 0 },
      cuaSafetyChecks: 'stop',
    });
    expect(
      loadConfig(
        {},
        {
          WREN_BROWSER_VIEWPORT: '1600x1000',
          WREN_BROWSER_HEADLESS: 'false',
          WREN_HAR: 'false',
          WREN_RECORDING: 'no',
          WREN_CUA_SAFETY_CHECKS: ' Acknowledge ',
        },
      ).browser,
    ).toMatchObject({
      viewport: { width: 1600, height: 1000 },
      headless: false,
      har: false,
      recording: false,
      cuaSafetyChecks: 'acknowledge',
    });
    expect(() => loadConfig({}, { WREN_BROWSER_VIEWPORT: 'big' })).toThrow(
      'WREN_BROWSER_VIEWPORT must look like 1280x720, got "big"',
    );
    expect(() => loadConfig({}, { WREN_CUA_SAFETY_CHECKS: 'yes' })).toThrow(
      'WREN_CUA_SAFETY_CHECKS must be one of stop, acknowledge, got "yes"',
    );
    expect(() => loadConfig({}, { WREN_HAR_MAX_BODY_BYTES: '-5' })).toThrow(
      /WREN_HAR_MAX_BODY_BYTES must be an integer between 0 and/,
    );
  });

  it('checks the session network settings', () => {
    expect(
      loadConfig({}, { WREN_SESSION_HOST: '10.0.0.5', WREN_SESSION_PORT: '9300' }).sessionNetwork,
    ).toEqual({ debugHost: '10.0.0.5', gatewayPort: 9300 });
    expect(() => loadConfig({}, { WREN_SESSION_PORT: '70000' })).toThrow(
      'WREN_SESSION_PORT must be a port number (0-65535), got "70000"',
    );
    expect(() => loadConfig({}, { WREN_SESSION_ADVERTISE_HOST: 'user@host' })).toThrow(
      'WREN_SESSION_ADVERTISE_HOST must be a host name or IP, got "user@host"',
    );
    expect(() => loadConfig({}, { WREN_SESSION_MINUTE_MS: '0' })).toThrow(
      'WREN_SESSION_MINUTE_MS must be a positive whole number of ms, got "0"',
    );
  });

  it('names the flag when a CLI override is bad', () => {
    expect(() => loadConfig({ port: 70_000 }, {})).toThrow(
      'port must be an integer between 0 and 65535, got "70000"',
    );
    expect(() => loadConfig({ role: 'boss' }, {})).toThrow('role must be one of all, api, worker');
  });
});
