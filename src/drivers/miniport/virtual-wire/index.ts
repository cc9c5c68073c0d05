/**
 * tsndis.virtual-wire: an Ethernet miniport whose adapters are joined by in-process wires
 * (see README.md in this folder for keywords and supported OIDs).
 */
import { HD_SPLIT_KEYWORDS } from '../../common/hd-split-miniport.js';
import { NdisMedium802_3, type ConfigValue, type KeywordCheckContext, type MiniportDriverCharacteristics } from '../../../ndis/index.js';
import { VIRTUAL_WIRE_OFFLOAD_KEYWORDS, VIRTUAL_WIRE_RSS_KEYWORDS, VirtualWireAdapter } from './adapter.js';

export { VirtualWire, type WireCounters, type WireImpairment, type WirePort } from './wire.js';
export { VirtualWireAdapter, VIRTUAL_WIRE_OFFLOAD_KEYWORDS, VIRTUAL_WIRE_RSS_KEYWORDS, stableMac } from './adapter.js';
export { WireOffload, WireOffloadCounters } from './offload.js';
export { WireLinkCounters, WireLinkEndpoint, createWireLinkMemory, type WireLinkMemory } from './wire-link.js';

/**
 * A wire is named in the config's `wires:`; a misspelt name would otherwise plug the adapter into a wire
 * of its own, silently cut off. A config that defines no wires has one implicit wire, `default`.
 */
function checkWire(value: ConfigValue, context: KeywordCheckContext): string | undefined {
  const name = String(value);
  if (context.wires.has(name)) return undefined;
  if (context.wires.size === 0) return name === 'default' ? undefined : `wire '${name}' is not defined (add it under \`wires\`, or leave Wire out: a config without \`wires\` has one wire, 'default')`;
  return `wire '${name}' is not defined under \`wires\` (defined: ${[...context.wires].join(', ')})`;
}

export const virtualWireMiniport = {
  kind: 'miniport',
  name: 'tsndis.virtual-wire',
  description: 'In-process virtual wire (hub) Ethernet adapter',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  medium: NdisMedium802_3,
  // With several processors: one receive queue per processor, each indicated by the adapter's object there.
  multiProcessor: { module: import.meta.url, export: 'virtualWireMiniport' },
  keywords: {
    Wire: { type: 'edit', description: 'name of the wire this adapter plugs into (one of the config\'s `wires`)', default: 'default', check: checkWire },
    NetworkAddress: { type: 'edit', description: 'MAC address (12 hex digits, - or : optional); default: stable per wire and adapter' },
    '*JumboPacket': { type: 'int', description: 'largest frame in bytes including the Ethernet header', default: 1514, min: 1514, max: 16384 },
    '*ReceiveBuffers': { type: 'int', description: 'receive buffers (NBLs) in the adapter pool', default: 512, min: 16, max: 65536 },
    LinkSpeedMbps: { type: 'int', description: 'reported link speed in Mbit/s', default: 10000, min: 1, max: 400000 },
    LargeReceiveBuffers: { type: 'int', description: 'receive buffers when RSC is on (each holds a 64 KB unit)', default: 128, min: 16, max: 4096 },
    // Task offloads, opt-in: any of these non-zero makes the adapter offer checksum offload, LSOv2 and RSC.
    ...VIRTUAL_WIRE_OFFLOAD_KEYWORDS,
    // Receive side scaling: offered unless *RSS is 0; a protocol turns it on with OID_GEN_RECEIVE_SCALE_PARAMETERS.
    ...VIRTUAL_WIRE_RSS_KEYWORDS,
    // Header-data split (offload digest §5): off by default.
    ...HD_SPLIT_KEYWORDS,
  },
  adapter: VirtualWireAdapter,
} as const satisfies MiniportDriverCharacteristics;
