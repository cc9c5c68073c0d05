/**
 * A tsndis host whose tenant tsndis.tcpip sits behind the tsndis.overlay VXLAN gateway on a TAP, and a
 * Linux VXLAN device on the other side of that TAP in a namespace (the interop test and the bench row):
 *
 *   tsndis.tcpip 198.19.s.2 ─ tenant ─ tsndis.overlay ─ tsndis.tap ═ TAP ═ [netns: 198.18.s.1, vxlan42 198.19.s.1]
 *                                      (LocalAddress 198.18.s.2)
 */
import { createStacks, type RunningStacks } from '../../src/config/index.js';
import type { OverlayTenantAdapter } from '../../src/drivers/intermediate/overlay/index.js';
import type { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import { Netns, uniqueName } from './netns.js';

export interface OverlayHostOptions {
  subnet: number;
  tapKeywords?: Record<string, string | number>;
  tenantKeywords?: Record<string, string | number>;
  vni?: number;
}

export class OverlayTapHost {
  private constructor(
    readonly net: RunningStacks,
    readonly ns: Netns,
    readonly tap: string,
    readonly subnet: number,
  ) {}

  get ip(): TcpIpProtocol {
    return this.net.host('h').tcpip;
  }

  get tenant(): OverlayTenantAdapter {
    return this.net.host('h').runtime.adapters.get('h/tenant')!.instance as OverlayTenantAdapter;
  }

  get ours(): string {
    return `198.19.${this.subnet}.2`;
  }

  get theirs(): string {
    return `198.19.${this.subnet}.1`;
  }

  static async create(o: OverlayHostOptions): Promise<OverlayTapHost> {
    const tap = uniqueName('ovt');
    const s = o.subnet;
    const vni = o.vni ?? 42;
    const kw = (r: Record<string, string | number> | undefined): string => Object.entries(r ?? {}).map(([k, v]) => `, '${k}': ${v}`).join('');
    const config = `
hosts:
  h:
    adapters:
      eth0: { driver: tsndis.tap, keywords: { InterfaceName: ${tap}, NetworkAddress: 02-00-00-00-${s.toString(16).padStart(2, '0')}-02${kw(o.tapKeywords)} } }
      tenant:
        keywords: { Encapsulation: vxlan, VirtualSubnetId: ${vni}, LocalAddress: 198.18.${s}.2, RemoteAddress: 198.18.${s}.1, NetworkAddress: 02-00-00-01-${s.toString(16).padStart(2, '0')}-02${kw(o.tenantKeywords)} }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.19.${s}.2/24] } }]
    intermediates:
      - { driver: tsndis.overlay, lower: eth0, upper: [tenant] }
`;
    const net = await createStacks(config);
    let ns: Netns | null = null;
    try {
      ns = Netns.create();
      ns.adopt(tap, { mac: `02:00:00:00:${s.toString(16).padStart(2, '0')}:01`, address: `198.18.${s}.1/24` });
      const vx = uniqueName('vx');
      ns.ip('link', 'add', vx, 'type', 'vxlan', 'id', String(vni), 'remote', `198.18.${s}.2`, 'local', `198.18.${s}.1`, 'dstport', '4789', 'dev', tap);
      ns.ip('link', 'set', vx, 'address', `02:00:00:01:${s.toString(16).padStart(2, '0')}:01`);
      ns.ip('addr', 'add', `198.19.${s}.1/24`, 'dev', vx);
      ns.ip('link', 'set', vx, 'up');
      ns.ip('neigh', 'replace', `198.19.${s}.2`, 'lladdr', `02:00:00:01:${s.toString(16).padStart(2, '0')}:02`, 'dev', vx, 'nud', 'permanent');
      return new OverlayTapHost(net, ns, tap, s);
    } catch (e) {
      ns?.destroy();
      await net.close();
      throw e;
    }
  }

  /** Waits (bounded) until the gateway knows the Linux VTEP's MAC. */
  async ready(): Promise<boolean> {
    for (let i = 0; i < 250; i++) {
      if (this.tenant.port?.lower.neighbors.every((n) => n.mac !== null) === true && this.ip.interface('tenant').usable) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  async destroy(): Promise<void> {
    this.ns.destroy();
    await this.net.close();
  }
}
