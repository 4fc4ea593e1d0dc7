/** The credential an API node presents to a worker's internal live endpoint. */
import { describe, expect, it } from 'vitest';
import { LiveRelayTokens } from '../../../src/api/live-relay.js';
import { SecretBox, secretKeyFromBytes } from '../../../src/credentials/index.js';

const key = (fill: number) => secretKeyFromBytes(Buffer.alloc(32, fill));
const grant = { runId: 'tsk_1', organizationId: 'o_1' };

describe('LiveRelayTokens', () => {
  it('accepts its own credential for the run it names, with the organization it names', () => {
    const tokens = LiveRelayTokens.fromSecretBox(new SecretBox(key(1)));
    const token = tokens.sign(grant);
    expect(tokens.verify(token, 'tsk_1')).toEqual(grant);
    expect(tokens.verify(token, 'tsk_2')).toBeNull();
  });

  it('refuses credentials from another key, tampered ones and expired ones', () => {
    let now = 1_000_000;
    const tokens = new LiveRelayTokens(
      new SecretBox(key(1)).derivedKeys('live-relay/v1'),
      60_000,
      () => now,
    );
    const other = LiveRelayTokens.fromSecretBox(new SecretBox(key(2)));
    expect(tokens.verify(other.sign(grant), 'tsk_1')).toBeNull();

    const [payload, signature] = tokens.sign(grant).split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), o: 'o_2' }),
    ).toString('base64url');
    expect(tokens.verify(`${forged}.${signature}`, 'tsk_1')).toBeNull();
    expect(tokens.verify(`${payload}.${signature}.x`, 'tsk_1')).toBeNull();
    expect(tokens.verify('garbage', 'tsk_1')).toBeNull();

    const token = tokens.sign(grant);
    now += 59_000;
    expect(tokens.verify(token, 'tsk_1')).toEqual(grant);
    now += 2_000;
    expect(tokens.verify(token, 'tsk_1')).toBeNull();
  });

  it('keeps accepting credentials of the previous key during a rotation', () => {
    const before = LiveRelayTokens.fromSecretBox(new SecretBox(key(1)));
    const rotated = LiveRelayTokens.fromSecretBox(new SecretBox(key(2), [key(1)]));
    expect(rotated.verify(before.sign(grant), 'tsk_1')).toEqual(grant);
    // A node still on the old key does not accept the new one: rotate workers first.
    expect(before.verify(rotated.sign(grant), 'tsk_1')).toBeNull();
  });

  it('derives keys that differ per purpose and from the encryption key', () => {
    const box = new SecretBox(key(1));
    const [relay] = box.derivedKeys('live-relay/v1');
    const [other] = box.derivedKeys('something-else');
    expect(relay?.equals(other as Buffer)).toBe(false);
    expect(relay?.equals(Buffer.alloc(32, 1))).toBe(false);
  });
});
