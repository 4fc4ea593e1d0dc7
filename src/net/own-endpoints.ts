/**
 * Endpoints of Wren's own browsers: the raw DevTools ports of the Chromiums it starts (session
 * browsers, the user's Chrome it launched, a server-wide CDP browser on this machine) and the
 * session gateway. Whoever holds a DevTools port controls that browser, so no page and no run's
 * `browser_address` may connect to one, whatever the network policy allows: the egress proxy and
 * the CDP connection of a run refuse them (a session is reached through its id, or from outside
 * through the gateway with its token). Process-wide: several Wren instances in one process (tests,
 * embedded use) protect each other's browsers too.
 */
import { networkInterfaces } from 'node:os';
import { addressForms, parseIp } from './address.js';

const ports = new Map<number, number>();

/** Marks a local port as one of Wren's browser endpoints until the returned function runs. */
export function reserveOwnPort(port: number): () => void {
  if (!Number.isInteger(port) || port <= 0) return () => {};
  ports.set(port, (ports.get(port) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = (ports.get(port) ?? 1) - 1;
    if (n <= 0) ports.delete(port);
    else ports.set(port, n);
  };
}

/** True for loopback, unspecified and this machine's own interface addresses (any spelling). */
export function isLocalAddress(address: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  const own = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const parsed = parseIp(i.address);
      if (parsed) own.add(parsed.toNormalizedString());
    }
  }
  return addressForms(ip).some((form) => {
    const range = form.range();
    return range === 'loopback' || range === 'unspecified' || own.has(form.toNormalizedString());
  });
}

/** True when `address:port` reaches one of Wren's own browser endpoints on this machine. */
export function isOwnEndpoint(address: string, port: number): boolean {
  return ports.has(port) && isLocalAddress(address);
}

/** The reason a refused connection to an own endpoint gives. */
export function ownEndpointReason(subject: string): string {
  return `${subject} is a browser endpoint Wren runs itself; a session's browser is reached through its browser_session_id`;
}
