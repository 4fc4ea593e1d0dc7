/** The clock the 2FA code waits use (src/core/clock.ts), named as this folder always did. */
export { type Now, type Sleep, sleep as realSleep } from '../core/index.js';
