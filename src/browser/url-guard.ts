/**
 * Navigation policy: cloud metadata endpoints are always refused (they hand out credentials);
 * private and loopback networks are refused unless allowed (WREN_ALLOW_PRIVATE_NETWORKS=true or
 * the run option). Only http(s), about:blank and data: URLs can be opened by an agent.
 */
import { isIP } from 'node:net';
import { BrowserError } from './errors.js';

const METADATA_HOSTS = new Set([
  '169.254.169.254',
  'metadata.google.internal',
  'metadata',
  'fd00:ec2::254',
  '100.100.100.200',
  'metadata.azure.com',
]);

function isPrivateIp(host: string): boolean {
  const v = isIP(host);
  if (v === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (v === 6) {
    const h = host.toLowerCase();
    return (
      h === '::1' ||
      h === '::' ||
      h.startsWith('fc') ||
      h.startsWith('fd') ||
      h.startsWith('fe80') ||
      h.startsWith('::ffff:127.') ||
      h.startsWith('::ffff:10.') ||
      h.startsWith('::ffff:192.168.')
    );
  }
  return false;
}

export function allowPrivateNetworksFromEnv(): boolean {
  return process.env['WREN_ALLOW_PRIVATE_NETWORKS'] === 'true';
}

/** Throws a `navigation_blocked` BrowserError when the URL may not be opened. */
export function checkNavigationUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BrowserError('navigation_blocked', `url: "${raw}" is not an absolute URL`);
  }
  if (url.href === 'about:blank' || url.protocol === 'data:') return url;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BrowserError('navigation_blocked', `url: scheme ${url.protocol} is not allowed`);
  }
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (METADATA_HOSTS.has(host)) {
    throw new BrowserError('navigation_blocked', `url: ${host} is a cloud metadata address`);
  }
  if (!allowPrivate && (isPrivateIp(host) || host === 'localhost' || host.endsWith('.localhost'))) {
    throw new BrowserError('navigation_blocked', `url: ${host} is a private network address`);
  }
  return url;
}
