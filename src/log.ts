/** Structured logging: one JSON line per event (pino). Never pass secrets to these loggers. */
import { type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wren' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers["x-api-key"]', 'req.headers.authorization', '*.apiKey', '*.api_key'],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}
