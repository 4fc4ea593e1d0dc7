/**
 * Ids shaped like Skyvern's: `<prefix>_<decimal 64-bit number>`, time-ordered.
 * 42 bits of milliseconds since 2024-01-01, 10 random bits, 12 bits of a per-process counter.
 */
import { randomInt } from 'node:crypto';

const EPOCH = 1_704_067_200_000n;
let lastMs = 0n;
let sequence = 0n;

export function newNumericId(): string {
  let ms = BigInt(Date.now()) - EPOCH;
  if (ms <= lastMs) {
    sequence = (sequence + 1n) & 0xfffn;
    if (sequence === 0n) lastMs += 1n; // counter wrapped within one ms: borrow the next ms
    ms = lastMs;
  } else {
    sequence = 0n;
    lastMs = ms;
  }
  const id = (ms << 22n) | (BigInt(randomInt(1024)) << 12n) | sequence;
  return id.toString();
}

export function newId(prefix: string): string {
  return `${prefix}_${newNumericId()}`;
}
