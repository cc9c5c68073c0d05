/**
 * What the TCP/IP commands share: bring a config's stacks up with their services and usable addresses
 * (the library's createStacks), and pick the host a command runs from.
 */
import { isIP } from 'node:net';
import { createStacks, loadStackConfig, type BuiltStacks, type HostService } from '../config/index.js';
import type { StackDescription } from '../config/description.js';
import { TcpIpProtocol, type RunningService } from '../drivers/protocol/tcpip/index.js';

export { startServices, addressesReady, type HostService } from '../config/index.js';

export const TCPIP = 'tsndis.tcpip';

export interface TcpIpStacks {
  readonly description: StackDescription;
  readonly stacks: BuiltStacks;
  readonly services: readonly HostService[];
  /** Closes the services, then shuts the stacks down. */
  shutdown(): Promise<void>;
}

/** The TCP/IP protocol of `host`, or null when the host has none. */
export function tcpipOf(stacks: BuiltStacks, host: string): TcpIpProtocol | null {
  const p = stacks.hosts.get(host)?.protocols.get(TCPIP);
  return p instanceof TcpIpProtocol ? p : null;
}

/** What `tsndis up` says about a service it started: where it listens, or what it sends where. */
export function serviceAnnouncement(s: RunningService): string {
  const spec = s.spec;
  if (spec.service === 'ping') return `ping service to ${spec.target ?? '?'}: ${spec.count ?? '?'} echo requests of ${spec.size ?? '?'} bytes, one every ${spec.intervalMs ?? '?'} ms`;
  if (spec.service === 'traffic') return `traffic service to ${s.name.slice('traffic '.length)}: ${spec.count ?? '?'} UDP datagrams of ${spec.size ?? '?'} bytes at ${spec.rate ?? '?'}/s`;
  const where = spec.address === null ? '*' : spec.address.includes(':') ? `[${spec.address}]` : spec.address;
  return `${spec.service} service on ${where}:${s.port}${spec.root === null ? '' : ` serving ${spec.root}`}`;
}

export interface UpTcpIpOptions {
  verifier?: boolean;
  /** The family of the address the command talks to: 4 skips waiting for IPv6 DAD. */
  family?: 4 | 6;
  /** The longest wait for IPv6 addresses to become usable (default 5000). */
  addressTimeoutMs?: number;
}

/** 4 or 6 for an IP literal (IPv6 in URL brackets too), undefined otherwise. */
export function addressFamily(address: string): 4 | 6 | undefined {
  const f = isIP(address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, ''));
  return f === 4 || f === 6 ? f : undefined;
}

/**
 * Builds the stacks of `config`, starts their services and waits for addresses. The running stacks
 * keep the process alive (a command waiting on a ping reply or a connect) until `shutdown()`.
 */
export async function upTcpIp(config: string, options: UpTcpIpOptions = {}): Promise<TcpIpStacks> {
  const description = await loadStackConfig(config);
  // Only IPv6 addresses wait (Duplicate Address Detection); a command whose destination is IPv4 need not.
  const addressTimeoutMs = options.family === 4 ? 0 : Math.min(5000, options.addressTimeoutMs ?? 5000);
  const net = await createStacks(description, { sources: false, addressTimeoutMs, ...(options.verifier === false ? { verifier: false } : {}) });
  return { description, stacks: net, services: net.services, shutdown: () => net.close() };
}

/**
 * The host a client command runs from: the one named, else the only host with TCP/IP, else the first
 * host with TCP/IP that runs no services (the client side of a client/server config).
 */
export function pickHost(t: TcpIpStacks, name: string | undefined): { host: string; ip: TcpIpProtocol } {
  const withIp = t.description.hosts.filter((h) => tcpipOf(t.stacks, h.name) !== null);
  if (name !== undefined) {
    const ip = tcpipOf(t.stacks, name);
    if (ip === null) {
      const known = withIp.map((h) => h.name).join(', ') || 'none';
      throw new Error(t.stacks.hosts.has(name) ? `host '${name}' has no ${TCPIP} protocol (hosts with one: ${known})` : `no host '${name}' in the config (hosts with ${TCPIP}: ${known})`);
    }
    return { host: name, ip };
  }
  if (withIp.length === 0) throw new Error(`no host in the config binds ${TCPIP}`);
  const h = withIp.length === 1 ? withIp[0]! : (withIp.find((x) => x.services.length === 0) ?? withIp[0]!);
  return { host: h.name, ip: tcpipOf(t.stacks, h.name)! };
}
