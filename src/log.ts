/** Structured logging: one JSON line per event (pino). Never pass secrets to these loggers. */
import { type Logger, type LoggerOptions, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** Anything that can mask secrets in a line of text (a run's SecretVault is one). */
export interface Masker {
  mask(text: string): string;
}

/**
 * Process-wide view over the maskers of running runs, for sinks shared by all runs (the pino
 * logger). A run attaches its vault when it starts and detaches it when its artifacts are written.
 */
export class SecretRedactor {
  private readonly maskers = new Set<Masker>();

  attach(masker: Masker): () => void {
    this.maskers.add(masker);
    return () => {
      this.maskers.delete(masker);
    };
  }

  mask(text: string): string {
    let out = text;
    for (const masker of this.maskers) out = masker.mask(out);
    return out;
  }

  /**
   * Hooks for `pino({ hooks })`: every serialized line is masked before it reaches the
   * destination, whatever field or message the value hides in.
   */
  pinoHooks(): NonNullable<LoggerOptions['hooks']> {
    return { streamWrite: (line: string) => this.mask(line) };
  }
}

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
