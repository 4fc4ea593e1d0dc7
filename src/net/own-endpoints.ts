/**
 * Endpoints of Wren's own browsers: the raw DevTools ports of the Chromiums it starts (session
 * browsers, the user's Chrome it launched, a server-wide CDP browser on this machine) and the
 * session gateway. Whoever holds a DevTools port controls that browser, so no page and no run's
 * `browser_address` may connect to one, whatever the network policy allows: the egress proxy and
 * the CDP connection of a run refuse them (a session is reached through its id, or from outside
 * through the gateway with its token). Process-wide: several Wren instances in one process (tests,
 * embedded use) protect each other's browsers too.
 *
 * Several processes on one host (workers and API nodes sharing a database) do not see each
 * other's maps, so session browsers' ports are also shared through registries (the database's
 * own_endpoints table, registered by each Wren app): a check that finds a local address and a
 * port this process does not know asks every registry (docs/decisions.md).
 */
import { hostname, networkInterfaces } from 'node:os';
import { addressForms, parseIp } from './address.js';

const ports = new Map<number, number>();

/** Where the processes of one deployment share their browser ports (e.g. a database table). */
export interface OwnEndpointRegistry {
  add(host: string, port: number): Promise<void>;
  remove(host: string, port: number): Promise<void>;
  has(host: string, port: number): Promise<boolean>;
}

const registries = new Set<OwnEndpointRegistry>();

/** Shares this process's published ports with `registry` (and checks its ports) until undone. */
export function shareOwnEndpoints(registry: OwnEndpointRegistry): () => void {
  registries.add(registry);
  return () => {
    registries.delete(registry);
  };
}

/**
 * reserveOwnPort, and also publishes the port to every registry before resolving, so every
 * process of the deployment refuses it once the caller hands anything of the browser out.
 */
export async function publishOwnPort(port: number): Promise<() => Promise<void>> {
  const release = reserveOwnPort(port);
  const host = hostname();
  const published = [...registries];
  try {
    await Promise.all(published.map((r) => r.add(host, port)));
  } catch (e) {
    release();
    await Promise.all(published.map((r) => r.remove(host, port).catch(() => {})));
    throw e;
  }
  let removed: Promise<void> | null = null;
  return () => {
    release();
    removed ??= Promise.all(published.map((r) => r.remove(host, port).catch(() => {}))).then(
      () => {},
    );
    return removed;
  };
}

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

/**
 * True when `address:port` reaches one of Wren's own browser endpoints on this machine: one this
 * process reserved, or one another process published to a shared registry. A registry that
 * cannot answer counts as a yes (refuse rather than connect unchecked).
 */
export async function isOwnEndpoint(address: string, port: number): Promise<boolean> {
  if (!isLocalAddress(address)) return false;
  if (ports.has(port)) return true;
  const host = hostname();
  const answers = await Promise.all(
    [...registries].map((r) => r.has(host, port).catch(() => true)),
  );
  return answers.includes(true);
}

/** isOwnEndpoint for any of a target's addresses. */
export async function anyOwnEndpoint(addresses: readonly string[], port: number): Promise<boolean> {
  for (const a of addresses) if (await isOwnEndpoint(a, port)) return true;
  return false;
}

/** The reason a refused connection to an own endpoint gives. */
export function ownEndpointReason(subject: string): string {
  return `${subject} is a browser endpoint Wren runs itself; a session's browser is reached through its browser_session_id`;
}
