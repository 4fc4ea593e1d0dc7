/** Structured logging: one JSON line per event (pino). Never pass secrets to these loggers. */
import { type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';
import { SecretRedactor } from './credentials/log-redaction.js';

export type { Logger } from 'pino';

/**
 * Masks the secrets of running runs in every line of every logger createLogger makes: a run
 * attaches its SecretVault while it runs (prepareRunSecrets does).
 */
export const logRedactor = new SecretRedactor();

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wren' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: logRedactor.pinoHooks(),
      redact: {
        paths: ['req.headers["x-api-key"]', 'req.headers.authorization', '*.apiKey', '*.api_key'],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}
