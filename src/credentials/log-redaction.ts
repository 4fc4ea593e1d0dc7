import type { LoggerOptions } from 'pino';
import type { SecretVault } from './vault.js';

/**
 * Process-wide view over the vaults of running runs, for sinks shared by all runs (the pino
 * logger). A run attaches its vault when it starts and detaches it when its artifacts are written.
 */
export class SecretRedactor {
  private readonly vaults = new Set<SecretVault>();

  attach(vault: SecretVault): () => void {
    this.vaults.add(vault);
    return () => {
      this.vaults.delete(vault);
    };
  }

  mask(text: string): string {
    let out = text;
    for (const vault of this.vaults) out = vault.mask(out);
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
