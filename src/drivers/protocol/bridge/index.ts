/**
 * tsndis.bridge: a transparent learning bridge between adapters, as a protocol driver bound to each
 * member adapter (the design of the Windows MAC bridge: a protocol edge on every member, forwarding with
 * NdisSendNetBufferLists). Bindings on one host whose `Bridge` keyword names the same bridge are its
 * ports, as virtual-wire adapters naming one `Wire` share a wire. With `tsndis.impairment` on a member
 * adapter, two TAPs bridged this way are a network emulator between two Linux namespaces (NEWT's use).
 *
 * `BridgeProtocol` is the per-host object: its bridges by name, each with its ports and table.
 */
import { NdisMedium802_3, type BindParameters, type ConfigValue, type ProtocolBindingHandle, type ProtocolDriverCharacteristics } from '../../../ndis/index.js';
import { Bridge, type BridgeSettings } from './bridge.js';
import { BridgePort, DEFAULT_SEND_POOL_SIZE, type BridgeRegistry } from './port.js';

export { Bridge, MAX_BRIDGE_PORTS, type BridgeSettings } from './bridge.js';
export { BRIDGE_DROP_REASONS, BridgeCounters, BridgePortCounters, BridgePortDrops } from './counters.js';
export { BridgePort, type BridgeRegistry } from './port.js';

const BRIDGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** 802.1D's default ageing time. */
export const DEFAULT_AGEING_SECONDS = 300;
export const DEFAULT_MAX_ADDRESSES = 4096;
export const DEFAULT_FLOOD_LIMIT = 50_000;

/** Per-bridge totals over its current ports (what `tsndis emulate` prints). */
export interface BridgeTotals {
  readonly name: string;
  readonly ports: number;
  readonly entries: number;
  readonly rxFrames: number;
  readonly forwarded: number;
  readonly flooded: number;
  readonly txFrames: number;
  readonly txFailed: number;
  readonly learned: number;
  readonly aged: number;
  /** Every drop, ingress and egress. */
  readonly dropped: number;
  /** Drops by reason (only non-zero ones). */
  readonly droppedBy: Readonly<Record<string, number>>;
}

export class BridgeProtocol implements BridgeRegistry {
  readonly characteristics: ProtocolDriverCharacteristics;
  readonly bridges = new Map<string, Bridge>();

  constructor(readonly name = 'tsndis.bridge') {
    const registry = this;
    class Port extends BridgePort {
      constructor(handle: ProtocolBindingHandle) {
        super(handle, registry);
      }
    }
    const bridgeName = (v: ConfigValue): string | undefined => (typeof v === 'string' && BRIDGE_NAME.test(v) ? undefined : 'a bridge name is 1–32 letters, digits, _ . - (starting with a letter or digit)');
    this.characteristics = {
      kind: 'protocol',
      name,
      description: 'Transparent learning bridge: joins the adapters it is bound to at layer 2',
      ndisVersion: { major: 6, minor: 30 },
      driverVersion: { major: 1, minor: 0 },
      mediumArray: [NdisMedium802_3],
      keywords: {
        Bridge: { type: 'edit', description: 'the bridge this adapter is a port of (bindings naming the same bridge on a host are joined)', default: 'br0', check: bridgeName },
        AgeingTimeSeconds: { type: 'int', description: 'seconds a learned address stays in the table without being seen', default: DEFAULT_AGEING_SECONDS, min: 1, max: 1_000_000, scope: 'host' },
        MaxAddresses: { type: 'int', description: 'addresses the table holds at most (more are flooded to, not learned)', default: DEFAULT_MAX_ADDRESSES, min: 1, max: 1 << 20, scope: 'host' },
        FloodLimit: { type: 'int', description: 'frames flooded per second at most, bounding a broadcast storm in a loop (0: unlimited)', default: DEFAULT_FLOOD_LIMIT, min: 0, max: 100_000_000, scope: 'host' },
        SendPoolSize: { type: 'int', description: "NBLs in the port's send pool (copies in flight towards this adapter)", default: DEFAULT_SEND_POOL_SIZE, min: 16, max: 1 << 16 },
      },
      binding: Port,
    };
  }

  bridgeFor(name: string, params: BindParameters): Bridge {
    const known = this.bridges.get(name);
    if (known !== undefined) return known;
    const k = params.keywords;
    const settings: BridgeSettings = {
      ageingMs: k.readInt('AgeingTimeSeconds', DEFAULT_AGEING_SECONDS, 1, 1_000_000) * 1000,
      maxAddresses: k.readInt('MaxAddresses', DEFAULT_MAX_ADDRESSES, 1, 1 << 20),
      floodLimit: k.readInt('FloodLimit', DEFAULT_FLOOD_LIMIT, 0, 100_000_000),
    };
    const bridge = new Bridge(name, settings);
    this.bridges.set(name, bridge);
    return bridge;
  }

  portLeft(bridge: Bridge): void {
    if (bridge.portCount === 0 && this.bridges.get(bridge.name) === bridge) this.bridges.delete(bridge.name);
  }

  /** The bridge named `name`; throws naming the bridges there are. */
  bridge(name: string): Bridge {
    const b = this.bridges.get(name);
    if (b === undefined) throw new Error(`${this.name}: no bridge '${name}' (bridges: ${[...this.bridges.keys()].join(', ') || 'none'})`);
    return b;
  }

  /** Each bridge's totals over its ports. */
  totals(): BridgeTotals[] {
    const out: BridgeTotals[] = [];
    for (const b of this.bridges.values()) {
      const sum: Record<string, number> = {};
      let ports = 0;
      for (const p of b.ports) {
        if (p === null) continue;
        ports++;
        for (const [k, v] of Object.entries(p.counters)) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
      }
      const droppedBy: Record<string, number> = {};
      let dropped = 0;
      for (const [k, v] of Object.entries(sum)) {
        if (!k.startsWith('dropped') || v === 0) continue;
        droppedBy[k.slice('dropped'.length, 'dropped'.length + 1).toLowerCase() + k.slice('dropped'.length + 1)] = v;
        dropped += v;
      }
      out.push({
        name: b.name,
        ports,
        entries: b.fdb.size,
        rxFrames: sum['rxFrames'] ?? 0,
        forwarded: sum['forwarded'] ?? 0,
        flooded: sum['flooded'] ?? 0,
        txFrames: sum['txFrames'] ?? 0,
        txFailed: sum['txFailed'] ?? 0,
        learned: sum['learned'] ?? 0,
        aged: b.counters.aged,
        dropped,
        droppedBy,
      });
    }
    return out;
  }
}
