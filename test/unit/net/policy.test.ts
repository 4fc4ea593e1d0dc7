import { describe, expect, it } from 'vitest';
import {
  assertPublicUrl,
  classifyAddress,
  hostSpellings,
  isMetadataHost,
  metadataHostSpellings,
  NetworkPolicyError,
} from '../../../src/net/index.js';

const resolveTo =
  (...addresses: string[]) =>
  async () =>
    addresses;

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'private'],
    ['::1', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.10', 'private'],
    ['fe80::1', 'private'],
    ['fc00::1', 'private'],
    ['100.64.0.1', 'private'],
    ['0.0.0.0', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    // The forms a URL parser leaves IPv4-in-IPv6 in, and NAT64.
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['::ffff:7f00:1', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('assertPublicUrl', () => {
  const strict = { allowPrivateNetworks: false };
  const open = { allowPrivateNetworks: true };

  it('accepts a host that resolves to public addresses', async () => {
    await expect(
      assertPublicUrl('https://hooks.example.com/x', {
        ...strict,
        resolve: resolveTo('93.184.216.34'),
      }),
    ).resolves.toBeUndefined();
  });

  it('refuses loopback and private literals unless private networks are allowed', async () => {
    await expect(assertPublicUrl('http://127.0.0.1:9000/hook', strict)).rejects.toThrow(
      /private, loopback or link-local address \(127\.0\.0\.1\).*WREN_ALLOW_PRIVATE_NETWORKS/,
    );
    await expect(assertPublicUrl('http://[::1]/hook', strict)).rejects.toBeInstanceOf(
      NetworkPolicyError,
    );
    await expect(assertPublicUrl('http://127.0.0.1:9000/hook', open)).resolves.toBeUndefined();
  });

  it('refuses a name when any of its addresses is private (DNS rebinding shape)', async () => {
    await expect(
      assertPublicUrl('https://mixed.example/', {
        ...strict,
        resolve: resolveTo('93.184.216.34', '10.0.0.5'),
      }),
    ).rejects.toThrow(/10\.0\.0\.5/);
  });

  it('always refuses cloud metadata, even with private networks allowed', async () => {
    await expect(assertPublicUrl('http://169.254.169.254/latest/meta-data', open)).rejects.toThrow(
      /metadata/,
    );
    await expect(
      assertPublicUrl('http://metadata.google.internal/computeMetadata/v1', open),
    ).rejects.toThrow(/metadata/);
    await expect(
      assertPublicUrl('http://sneaky.example/', { ...open, resolve: resolveTo('169.254.169.254') }),
    ).rejects.toThrow(/metadata/);
  });

  it('refuses other schemes and unresolvable hosts', async () => {
    await expect(assertPublicUrl('ftp://example.com/x', open)).rejects.toThrow(
      /must use http or https/,
    );
    await expect(
      assertPublicUrl('https://nowhere.invalid/', {
        ...strict,
        resolve: async () => {
          throw new Error('ENOTFOUND');
        },
      }),
    ).rejects.toThrow(/could not be resolved/);
  });

  it('flags metadata hosts for the browser', () => {
    expect(isMetadataHost('169.254.169.254')).toBe(true);
    expect(isMetadataHost('[fd00:ec2::254]')).toBe(true);
    expect(isMetadataHost('metadata.google.internal')).toBe(true);
    expect(isMetadataHost('METADATA.google.internal.')).toBe(true);
    expect(isMetadataHost('[::ffff:a9fe:a9fe]')).toBe(true);
    expect(isMetadataHost('example.com')).toBe(false);
    expect(isMetadataHost('10.0.0.1')).toBe(false);
  });
});

describe('hostSpellings', () => {
  it('lists each IPv4 address also as IPv4-mapped and NAT64 IPv6, as browsers canonicalise them', () => {
    expect(hostSpellings(['169.254.169.254', '[FD00:EC2:0::254]', 'Metadata.Goog.'])).toEqual([
      '169.254.169.254',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      'fd00:ec2::254',
      'metadata.goog',
    ]);
    expect(metadataHostSpellings()).toEqual(
      expect.arrayContaining([
        '169.254.169.254',
        '::ffff:a9fe:a9fe',
        '169.254.170.2',
        '100.100.100.200',
        'fd00:ec2::254',
        'metadata.google.internal',
      ]),
    );
  });
});
