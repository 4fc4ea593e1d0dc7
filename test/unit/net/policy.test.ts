import { describe, expect, it } from 'vitest';
import {
  assertPublicUrl,
  canonicalHost,
  classifyAddress,
  type EgressPolicy,
  egressConfigProblems,
  egressPolicyFromEnv,
  hostSpellings,
  isMetadataHost,
  metadataHostSpellings,
  NetworkPolicyError,
  resolveTarget,
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

describe('every IPv6 form that carries a private IPv4 address', () => {
  it.each([
    // [::127.0.0.1] as a URL parser leaves it, and IPv4-compatible forms in general.
    ['::7f00:1', 'private'],
    ['::127.0.0.1', 'private'],
    ['::a00:1', 'private'],
    ['::a9fe:a9fe', 'metadata'],
    // SIIT (::ffff:0:a.b.c.d), 6to4 (2002:AABB:CCDD::), NAT64 local-use, Teredo.
    ['::ffff:0:7f00:1', 'private'],
    ['2002:7f00:1::1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:808:808::1', 'public'],
    ['64:ff9b:1::a00:1', 'private'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'private'],
    // Outside global unicast, or reserved inside it.
    ['fec0::1', 'private'],
    ['2001:db8::1', 'private'],
    ['100::1', 'private'],
    ['ff02::1', 'private'],
    ['::', 'private'],
    ['fd20:ce::254', 'metadata'],
    ['fd00:ec2::23', 'metadata'],
    ['169.254.170.23', 'metadata'],
    ['198.18.0.1', 'private'],
    ['255.255.255.255', 'private'],
    ['224.0.0.1', 'private'],
    ['0.1.2.3', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('refuses the [::127.0.0.1] spelling at submit time (finding 8 of issue 17)', async () => {
    await expect(
      assertPublicUrl('http://[::127.0.0.1]:9000/hook', { allowPrivateNetworks: false }),
    ).rejects.toThrow(/private, loopback or link-local address \(::7f00:1\)/);
  });
});

describe('canonicalHost', () => {
  it.each([
    ['0x7f.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['[::127.0.0.1]', '::7f00:1'],
    ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe'],
    ['Example.COM.', 'example.com'],
  ])('%s → %s', (raw, canonical) => {
    expect(canonicalHost(raw)).toBe(canonical);
  });

  it('rejects what is not a host', () => {
    expect(canonicalHost('')).toBeNull();
    expect(canonicalHost('a b')).toBeNull();
  });
});

describe('resolveTarget', () => {
  const strict: EgressPolicy = { allowPrivateNetworks: false };

  it('returns the addresses to connect to when all of them are public', async () => {
    await expect(
      resolveTarget(
        { ...strict, resolve: resolveTo('93.184.216.34', '2606:2800::1') },
        'a.example',
      ),
    ).resolves.toEqual({ host: 'a.example', addresses: ['93.184.216.34', '2606:2800::1'] });
  });

  it('refuses odd spellings of loopback by what they mean, not how they look', async () => {
    for (const host of ['2130706433', '0x7f.1', '[::127.0.0.1]', '[::ffff:7f00:1]', 'localhost']) {
      await expect(resolveTarget(strict, host), host).rejects.toMatchObject({ kind: 'private' });
    }
  });

  it('treats localhost as loopback whatever the resolver says', async () => {
    await expect(
      resolveTarget({ ...strict, resolve: resolveTo('93.184.216.34') }, 'app.localhost'),
    ).rejects.toThrow(/loopback/);
  });

  it('refuses metadata names and addresses even with private networks and the allow-list', async () => {
    const open: EgressPolicy = {
      allowPrivateNetworks: true,
      allow: ['169.254.0.0/16', 'metadata.google.internal', 'sneaky.example'],
      resolve: resolveTo('169.254.169.254'),
    };
    await expect(resolveTarget(open, 'metadata.google.internal')).rejects.toMatchObject({
      kind: 'metadata',
    });
    await expect(resolveTarget(open, 'sneaky.example')).rejects.toMatchObject({ kind: 'metadata' });
    await expect(resolveTarget(open, '[::ffff:a9fe:a9fe]')).rejects.toMatchObject({
      kind: 'metadata',
    });
  });

  it('lets the allow-list name hosts, wildcard suffixes and CIDRs (docs/configuration.md, Network policy)', async () => {
    const policy: EgressPolicy = {
      allowPrivateNetworks: false,
      allow: ['intranet.local', '*.corp.example', '10.1.0.0/16', 'fd12::/16'],
      resolve: resolveTo('10.9.9.9'),
    };
    await expect(resolveTarget(policy, 'intranet.local')).resolves.toMatchObject({
      addresses: ['10.9.9.9'],
    });
    await expect(resolveTarget(policy, 'app.corp.example')).resolves.toBeDefined();
    await expect(resolveTarget(policy, 'corp.example')).rejects.toThrow(/10\.9\.9\.9/);
    await expect(resolveTarget(policy, 'other.local')).rejects.toThrow(/WREN_EGRESS_ALLOW/);
    await expect(resolveTarget(policy, '10.1.2.3')).resolves.toBeDefined();
    await expect(resolveTarget(policy, '[::ffff:10.1.2.3]')).resolves.toBeDefined();
    await expect(resolveTarget(policy, '10.2.0.1')).rejects.toMatchObject({ kind: 'private' });
    await expect(resolveTarget(policy, '[fd12::5]')).resolves.toBeDefined();
  });

  it('counts test "public" addresses as public and nothing else (WREN_TEST_PUBLIC_ADDRESSES)', async () => {
    const policy: EgressPolicy = {
      allowPrivateNetworks: false,
      publicAddresses: ['127.0.0.2'],
      resolve: async (name) => (name === 'public.test' ? ['127.0.0.2'] : ['127.0.0.1']),
    };
    await expect(resolveTarget(policy, 'public.test')).resolves.toMatchObject({
      addresses: ['127.0.0.2'],
    });
    await expect(resolveTarget(policy, '127.0.0.2')).resolves.toBeDefined();
    await expect(resolveTarget(policy, '[::ffff:127.0.0.2]')).resolves.toBeDefined();
    await expect(resolveTarget(policy, 'internal.test')).rejects.toThrow(/127\.0\.0\.1/);
    await expect(resolveTarget(policy, '127.0.0.1')).rejects.toMatchObject({ kind: 'private' });
  });

  it('refuses hosts and ranges on the deny list like metadata', async () => {
    const policy: EgressPolicy = { allowPrivateNetworks: true, deny: ['127.0.0.3', 'bad.test'] };
    await expect(resolveTarget(policy, '127.0.0.3')).rejects.toMatchObject({ kind: 'metadata' });
    await expect(resolveTarget(policy, 'bad.test')).rejects.toMatchObject({ kind: 'metadata' });
    await expect(resolveTarget(policy, '127.0.0.1')).resolves.toBeDefined();
  });

  it('refuses names that do not resolve', async () => {
    await expect(
      resolveTarget({ ...strict, resolve: resolveTo() }, 'nowhere.test'),
    ).rejects.toMatchObject({ kind: 'unresolvable' });
  });
});

describe('egressPolicyFromEnv', () => {
  it('reads the switch, the allow-list and the test public addresses', () => {
    const policy = egressPolicyFromEnv({
      WREN_ALLOW_PRIVATE_NETWORKS: 'true',
      WREN_EGRESS_ALLOW: 'intranet.local, 10.1.0.0/16',
      WREN_TEST_PUBLIC_ADDRESSES: '127.0.0.2',
    });
    expect(policy).toEqual({
      allowPrivateNetworks: true,
      allow: ['intranet.local', '10.1.0.0/16'],
      publicAddresses: ['127.0.0.2'],
    });
    expect(egressConfigProblems(policy)).toEqual([]);
    expect(egressPolicyFromEnv({}).allowPrivateNetworks).toBe(false);
  });

  it('names bad entries', () => {
    expect(
      egressConfigProblems({
        allowPrivateNetworks: false,
        allow: ['http://x/'],
        publicAddresses: ['nope'],
      }),
    ).toEqual([
      'WREN_EGRESS_ALLOW: "http://x/" is neither a host name, an IP nor a CIDR',
      'WREN_TEST_PUBLIC_ADDRESSES: "nope" is neither an IP nor a CIDR',
    ]);
  });
});
