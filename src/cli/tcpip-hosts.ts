/**
 * What the TCP/IP commands share: bring a config's stacks up, start the services each host declares,
 * wait until the hosts' addresses are usable (IPv6 DAD), and pick the host a command runs from.
 */
import { buildStacks, loadStackConfig, type BuiltStacks } from '../config/index.js';
import type { StackDescription } from '../config/description.js';
import { AddressState, startService, TcpIpProtocol, type RunningService } from '../drivers/protocol/tcpip/index.js';

export const TCPIP = 'tsndis.tcpip';

export interface HostService {
  readonly host: string;
  readonly service: RunningService;
}

export interface TcpIpStacks {
  readonly description: StackDescription;
  readonly stacks: BuiltStacks;
  readonly services: HostService[];
  /** Closes the services, then shuts the stacks down. */
  shutdown(): Promise<void>;
}

/** The TCP/IP protocol of `host`, or null when the host has none. */
export function tcpipOf(stacks: BuiltStacks, host: string): TcpIpProtocol | null {
  const p = stacks.hosts.get(host)?.protocols.get(TCPIP);
  return p instanceof TcpIpProtocol ? p : null;
}

/** Starts every host's configured services (rejects with the first listen error, after closing the rest). */
export async function startServices(description: StackDescription, stacks: BuiltStacks): Promise<HostService[]> {
  const running: HostService[] = [];
  try {
    for (const h of description.hosts) {
      if (h.services.length === 0) continue;
      const ip = tcpipOf(stacks, h.name);
      if (ip === null) throw new Error(`host '${h.name}' declares services but has no ${TCPIP} protocol`);
      for (const s of h.services) {
        try {
          running.push({ host: h.name, service: await startService(ip.sockets, s) });
        } catch (e) {
          throw new Error(`${s.keyPath}: cannot start the ${s.service} service on port ${s.port}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
      }
    }
  } catch (e) {
    await Promise.all(running.map((r) => r.service.close()));
    throw e;
  }
  return running;
}

/** Resolves when no IPv6 address of `ip` is tentative any more (DAD done), or after `timeoutMs`. */
export async function addressesReady(ip: TcpIpProtocol, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let tentative = false;
    for (const b of ip.bindings.values()) for (const a of b.iface?.v6 ?? []) if (a.state === AddressState.Tentative) tentative = true;
    if (!tentative || Date.now() >= end) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Builds the stacks of `config`, starts their services and waits for addresses. The running stacks
 * keep the process alive (a command waiting on a ping reply or a connect) until `shutdown()`.
 */
export async function upTcpIp(config: string, options: { verifier?: boolean } = {}): Promise<TcpIpStacks> {
  const description = await loadStackConfig(config);
  const stacks = await buildStacks(description, options.verifier === false ? { verifier: false } : {});
  let services: HostService[] = [];
  try {
    services = await startServices(description, stacks);
    for (const h of description.hosts) {
      const ip = tcpipOf(stacks, h.name);
      if (ip !== null) await addressesReady(ip);
    }
  } catch (e) {
    await stacks.shutdown();
    throw e;
  }
  return {
    description,
    stacks,
    services,
    async shutdown() {
      try {
        await Promise.all(services.map((s) => s.service.close()));
      } finally {
        await stacks.shutdown();
      }
    },
  };
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
