/**
 * One tsndis host — tsndis.tcpip bound to a TAP adapter — whose kernel side lives in its own network
 * namespace, for the TCP/IP interop tests and the TCP benchmark:
 *
 *   [filters] ← tsndis.tap  ═ TAP ═  [netns: the Linux kernel, <subnet>.1 and <v6>:1]
 *   tsndis.tcpip: <subnet>.2 (and <v6>:2)
 *
 * Real time (RealScheduler). The TAP reader and the runtime's timers are unref'd, so the host holds
 * the event loop open until `destroy`. Needs root and /dev/net/tun.
 */
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import { AddressState, TcpIpProtocol, type TcpConfig } from '../../src/drivers/protocol/tcpip/index.js';
import type { ConfigValue, DriverCharacteristics } from '../../src/ndis/index.js';
import { Netns, uniqueName } from './netns.js';

export interface TapTcpIpHostOptions {
  /** Runtime name, and the kind for the TAP's unique name. */
  name: string;
  tapKind: string;
  ourMac: string;
  kernelMac: string;
  /** The /24 both sides share (`198.18.7` gives .2 to tsndis, .1 to Linux). */
  subnet: string;
  /** The IPv4 prefix length of both addresses (default 24; a shorter one puts more addresses on-link). */
  prefixLength?: number;
  /** The /64 prefix both sides share over IPv6 (`fd00:7::` style, without the last group), if any. */
  subnet6?: string;
  tapKeywords?: Record<string, ConfigValue>;
  ipKeywords?: Record<string, ConfigValue>;
  tcp?: Partial<TcpConfig>;
  verifier?: boolean;
  /** Filter drivers attached above the miniport, with their keywords (in attach order). */
  filters?: { driver: DriverCharacteristics; keywords?: Record<string, ConfigValue> }[];
  /** A permanent neighbour entry for tsndis on the kernel side (no ARP in measurements). */
  pinNeighbor?: boolean;
}

export class TapTcpIpHost {
  readonly rt: NdisRuntime;
  readonly ip: TcpIpProtocol;
  readonly ns: Netns;
  /** The TAP's interface name (inside the namespace). */
  readonly tap: string;
  /** The filter modules of `filters`, bottom-most first (their driver instances). */
  readonly filters: unknown[];
  /** tsndis's address and Linux's, per family ('' where the family is not configured). */
  readonly ours: { 4: string; 6: string };
  readonly theirs: { 4: string; 6: string };
  readonly #keepAlive: NodeJS.Timeout;

  private constructor(rt: NdisRuntime, ip: TcpIpProtocol, ns: Netns, tap: string, filters: unknown[], o: TapTcpIpHostOptions, keepAlive: NodeJS.Timeout) {
    this.rt = rt;
    this.ip = ip;
    this.ns = ns;
    this.tap = tap;
    this.filters = filters;
    this.ours = { 4: `${o.subnet}.2`, 6: o.subnet6 === undefined ? '' : `${o.subnet6}:2` };
    this.theirs = { 4: `${o.subnet}.1`, 6: o.subnet6 === undefined ? '' : `${o.subnet6}:1` };
    this.#keepAlive = keepAlive;
  }

  get adapter(): TapAdapter {
    return this.rt.adapter('eth0').instance as TapAdapter;
  }

  static async create(o: TapTcpIpHostOptions): Promise<TapTcpIpHost> {
    const tap = uniqueName(o.tapKind);
    const keepAlive = setInterval(() => undefined, 1000);
    const rt = new NdisRuntime({ name: o.name, scheduler: new RealScheduler(), ...(o.verifier === false ? { verifier: { enabled: false } } : {}) });
    rt.registerDriver(tapMiniport);
    for (const f of o.filters ?? []) rt.registerDriver(f.driver);
    const ip = new TcpIpProtocol(o.tcp === undefined ? {} : { tcp: o.tcp });
    rt.registerDriver(ip.characteristics);
    let ns: Netns | null = null;
    const filters: unknown[] = [];
    try {
      await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tap, NetworkAddress: o.ourMac, ...o.tapKeywords } });
      for (const f of o.filters ?? []) {
        const [module] = await rt.attachFilter('eth0', f.driver.name, f.keywords ?? {});
        filters.push(module!.instance);
      }
      const v6 = o.subnet6 !== undefined;
      await rt.bindProtocol('eth0', 'tsndis.tcpip', { IPAddress: [`${o.subnet}.2/${String(o.prefixLength ?? 24)}`], IPv6Address: v6 ? [`${o.subnet6!}:2/64`] : [], IPv6: v6, ...o.ipKeywords });
      await rt.startAdapter('eth0');
      ns = Netns.create();
      // Netns.create turns IPv6 off everywhere (quiet frame counts); an IPv6 host needs it back.
      if (v6) ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.default.disable_ipv6=0');
      ns.adopt(tap, { mac: o.kernelMac, address: `${o.subnet}.1/${String(o.prefixLength ?? 24)}` });
      if (v6) {
        ns.exec('sysctl', '-qw', `net.ipv6.conf.${tap}.disable_ipv6=0`);
        // nodad: the kernel's address is usable at once.
        ns.ip('addr', 'add', `${o.subnet6!}:1/64`, 'dev', tap, 'nodad');
      }
      if (o.pinNeighbor === true) ns.ip('neigh', 'replace', `${o.subnet}.2`, 'lladdr', o.ourMac, 'dev', tap, 'nud', 'permanent');
    } catch (e) {
      ns?.destroy();
      await rt.shutdown();
      clearInterval(keepAlive);
      throw e;
    }
    return new TapTcpIpHost(rt, ip, ns, tap, filters, o, keepAlive);
  }

  /** Waits (bounded, ~5 s) until the interface is usable and every IPv6 address passed DAD; true if so. */
  async ready(): Promise<boolean> {
    const iface = this.ip.interface('eth0');
    const done = (): boolean => iface.usable && iface.v6.every((a) => a.state === AddressState.Preferred);
    for (let i = 0; i < 250 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
    return done();
  }

  /** Deletes the namespace (and the TAP in it), shuts the runtime down, lets the event loop go. */
  async destroy(): Promise<void> {
    this.ns.destroy();
    await this.rt.shutdown();
    clearInterval(this.#keepAlive);
  }
}
