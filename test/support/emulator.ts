/**
 * The network emulator of issue 10 for interop tests and the impaired-path benchmark: two Linux
 * namespaces joined by tsndis.bridge over two TAPs, the impairment filter on the TAP towards B, and
 * optionally a tsndis TCP/IP host on a third bridge port (a virtual wire):
 *
 *   [netns A: <subnet>.1] ═ TAP a ═╗                          ╔═ TAP b ═ [netns B: <subnet>.2]
 *                                   tsndis.bridge br0 ─ [tsndis.impairment on b]
 *   [host tsn: tsndis.tcpip <subnet>.3] ─ wire ─ virtual-wire ╝
 *
 * Everything towards B leaves through the filter's send side and everything from B enters through its
 * receive side, so Linux A → Linux B and tsndis → Linux B cross exactly the same impairment (and B → A,
 * B → tsndis the same on the way back). Built from a stack config by `createStacks`, as `tsndis emulate`
 * builds `examples/emulator.yaml`. The TAPs run without the virtio-net header: every frame is a wire
 * frame the kernel checksummed in full. Needs root and /dev/net/tun.
 */
import { createStacks, type RunningStacks } from '../../src/config/index.js';
import type { StackConfig } from '../../src/config/stack-config.js';
import type { ImpairmentFilterModule } from '../../src/drivers/filter/impairment/index.js';
import type { BridgeProtocol } from '../../src/drivers/protocol/bridge/index.js';
import type { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import { Netns, uniqueName } from './netns.js';
import { TsndisThread } from './tsndis-thread.js';

/** An impairment profile for both directions of the filter (the acceptance's, by default). */
export interface ImpairmentProfile {
  lossPercent: number;
  duplicatePercent: number;
  reorderPercent: number;
  corruptPercent: number;
  delayMs: number;
  seed: number;
}

/** Issue 10's impaired path: 3 % loss, 1 % duplication, 2 % reordering, 0.2 % corruption, 2 ms each way. */
export const ACCEPTANCE_PROFILE: ImpairmentProfile = { lossPercent: 3, duplicatePercent: 1, reorderPercent: 2, corruptPercent: 0.2, delayMs: 2, seed: 20260101 };

/** The impairment filter's keywords for `p`, the same in both directions. */
export function impairmentKeywords(p: ImpairmentProfile): Record<string, ConfigValue> {
  const k: Record<string, ConfigValue> = { Seed: p.seed };
  for (const dir of ['Send', 'Receive']) {
    k[`${dir}LossPercent`] = String(p.lossPercent);
    k[`${dir}DuplicatePercent`] = String(p.duplicatePercent);
    k[`${dir}ReorderPercent`] = String(p.reorderPercent);
    k[`${dir}CorruptPercent`] = String(p.corruptPercent);
    k[`${dir}DelayMs`] = p.delayMs;
    // Room for a fast path's delay line: 2 ms at ~2 Gbit/s of full frames.
    k[`${dir}QueueFrames`] = 4096;
  }
  return k;
}

export interface EmulatorOptions {
  /** The /24 both namespaces (and the tsndis host) share, e.g. `198.18.130`. */
  subnet: string;
  /** The filter's profile; null: a clean bridge (no impairment filter). */
  profile: ImpairmentProfile | null;
  /** Add a tsndis TCP/IP host at <subnet>.3 on a virtual-wire port of the bridge, with these tcpip keywords. */
  tsndis?: Record<string, ConfigValue> | null;
  /**
   * Run that tsndis host on a worker thread of its own (`emu.thread`), its wire joined to the bridge's
   * by a wire link, instead of on the emulator's thread (`emu.tsndis`).
   */
  tsndisThread?: boolean;
  verifier?: boolean;
}

export class Emulator {
  readonly nsA: Netns;
  readonly nsB: Netns;
  readonly addrA: string;
  readonly addrB: string;
  readonly addrTsndis: string;
  readonly tapA: string;
  readonly tapB: string;
  /** The tsndis host on its own thread (`tsndisThread`), else null. */
  thread: TsndisThread | null = null;

  private constructor(
    readonly stacks: RunningStacks,
    nsA: Netns,
    nsB: Netns,
    tapA: string,
    tapB: string,
    subnet: string,
  ) {
    this.nsA = nsA;
    this.nsB = nsB;
    this.tapA = tapA;
    this.tapB = tapB;
    this.addrA = `${subnet}.1`;
    this.addrB = `${subnet}.2`;
    this.addrTsndis = `${subnet}.3`;
  }

  /** The stack config of the emulator (what examples/emulator.yaml spells out). */
  static config(tapA: string, tapB: string, o: EmulatorOptions): StackConfig {
    const bridge = [{ driver: 'tsndis.bridge', keywords: { Bridge: 'br0' } }];
    const tap = (name: string): Record<string, ConfigValue> => ({ InterfaceName: name, VnetHeader: false });
    const adapters: Record<string, unknown> = {
      a: { driver: 'tsndis.tap', keywords: tap(tapA), protocols: bridge },
      b: {
        driver: 'tsndis.tap',
        keywords: tap(tapB),
        ...(o.profile === null ? {} : { filters: [{ driver: 'tsndis.impairment', keywords: impairmentKeywords(o.profile) }] }),
        protocols: bridge,
      },
    };
    const hosts: Record<string, unknown> = { emu: { adapters } };
    if (o.tsndis !== undefined && o.tsndis !== null) {
      adapters['lan'] = { driver: 'tsndis.virtual-wire', keywords: { Wire: 'lan' }, protocols: bridge };
      if (o.tsndisThread !== true) hosts['tsn'] = Emulator.tsndisHost(o.subnet, o.tsndis);
    }
    return { ...(o.tsndis === undefined || o.tsndis === null ? {} : { wires: { lan: {} } }), hosts } as StackConfig;
  }

  /** The tsndis TCP/IP host at <subnet>.3 on wire `lan`. */
  static tsndisHost(subnet: string, keywords: Record<string, ConfigValue>): Record<string, unknown> {
    return { adapters: { eth0: { driver: 'tsndis.virtual-wire', keywords: { Wire: 'lan' }, protocols: [{ driver: 'tsndis.tcpip', keywords: { IPAddress: [`${subnet}.3/24`], IPv6: false, ...keywords } }] } } };
  }

  static async create(o: EmulatorOptions): Promise<Emulator> {
    const tapA = uniqueName('ea');
    const tapB = uniqueName('eb');
    const stacks = await createStacks(Emulator.config(tapA, tapB, o), { verifier: o.verifier ?? false, wirePrefix: `${tapA}-` });
    let nsA: Netns | null = null;
    let nsB: Netns | null = null;
    try {
      nsA = Netns.create();
      nsB = Netns.create();
      nsA.adopt(tapA, { address: `${o.subnet}.1/24` });
      nsB.adopt(tapB, { address: `${o.subnet}.2/24` });
      const emu = new Emulator(stacks, nsA, nsB, tapA, tapB, o.subnet);
      if (o.tsndisThread === true && o.tsndis !== undefined && o.tsndis !== null) {
        const config = { wires: { lan: {} }, hosts: { tsn: Emulator.tsndisHost(o.subnet, o.tsndis) } } as StackConfig;
        emu.thread = await TsndisThread.start(config, 'tsn', 'lan', `${tapA}-`);
      }
      return emu;
    } catch (e) {
      nsA?.destroy();
      nsB?.destroy();
      await stacks.close();
      throw e;
    }
  }

  get bridge(): BridgeProtocol {
    return this.stacks.host('emu').protocol('tsndis.bridge') as BridgeProtocol;
  }

  /** The impairment filter on TAP b (send = towards B, receive = from B), or null on a clean bridge. */
  get impairment(): ImpairmentFilterModule | null {
    const f = this.stacks.host('emu').runtime.adapter('b').filters.find((m) => m.driver.name === 'tsndis.impairment');
    return (f?.instance as ImpairmentFilterModule | undefined) ?? null;
  }

  get tsndis(): TcpIpProtocol {
    return this.stacks.host('tsn').tcpip;
  }

  /** Sets the congestion control of the routes to the subnet in `ns` (`ip route … congctl`). */
  congestion(ns: Netns, algorithm: 'cubic' | 'bbr' | 'reno'): void {
    const dev = ns === this.nsA ? this.tapA : this.tapB;
    const subnet = this.addrA.slice(0, this.addrA.lastIndexOf('.'));
    ns.ip('route', 'replace', `${subnet}.0/24`, 'dev', dev, 'proto', 'kernel', 'scope', 'link', 'congctl', algorithm);
  }

  async destroy(): Promise<void> {
    await this.thread?.close();
    this.nsA.destroy();
    this.nsB.destroy();
    await this.stacks.close();
  }
}

/** The sender's TCP counters of a namespace (netstat -s): segments retransmitted, RTOs, segments sent. */
export function kernelTcpCounters(ns: Netns): { retransSegs: number; outSegs: number; timeouts: number } {
  const read = (file: string): Map<string, number> => {
    const lines = ns.exec('cat', file).trim().split('\n');
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      const prefix = names[0]!;
      for (let j = 1; j < names.length; j++) out.set(`${prefix}${names[j]}`, Number(values[j]));
    }
    return out;
  };
  const snmp = read('/proc/net/snmp');
  const ext = read('/proc/net/netstat');
  return { retransSegs: snmp.get('Tcp:RetransSegs') ?? 0, outSegs: snmp.get('Tcp:OutSegs') ?? 0, timeouts: ext.get('TcpExt:TCPTimeouts') ?? 0 };
}
