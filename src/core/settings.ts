/**
 * How run browsers are launched and what they record: src/config.ts reads it from WREN_*
 * variables, the engines' services use it.
 */
export interface BrowserSettings {
  /** WREN_BROWSER_PATH: the Chromium/Chrome binary; null: a system one, else Playwright's. */
  executablePath: string | null;
  /** WREN_BROWSER_HEADLESS (default true). */
  headless: boolean;
  /** WREN_BROWSER_VIEWPORT as WIDTHxHEIGHT; null: the engine's default. */
  viewport: { width: number; height: number } | null;
  /** WREN_RECORDING: record a video of each run (needs ffmpeg). */
  recording: boolean;
  /** WREN_FFMPEG_PATH. */
  ffmpegPath: string;
  /** WREN_HAR: record a HAR of each run; WREN_HAR_MAX_BODY_BYTES embeds bodies up to that size. */
  har: false | { maxBodyBytes: number };
  /** WREN_CUA_SAFETY_CHECKS: openai-cua `pending_safety_checks` policy. */
  cuaSafetyChecks: 'stop' | 'acknowledge';
}
