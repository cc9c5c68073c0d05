/**
 * tsndis.vxlan: an Ethernet miniport that carries frames in VXLAN (RFC 7348) over a UDP/IPv4 socket,
 * interoperable with a Linux `vxlan` device (see README.md in this folder for keywords, supported OIDs
 * and the learning and flooding rules).
 */
import { NdisMedium802_3, type MiniportDriverCharacteristics } from '../../../ndis/index.js';
import { ipv4AddressProblem } from '../../../wire/index.js';
import { VxlanAdapter } from './adapter.js';
import { parseRemotes } from './endpoints.js';
import { VXLAN_UDP_PORT } from './header.js';

export { VxlanAdapter, VxlanCounters, readVxlanSettings, VXLAN_FDB_CAPACITY, VXLAN_LOG_INTERVAL_MS, type VxlanSettings } from './adapter.js';
export { ForwardingTable, FdbLearn, type FdbEntry } from './fdb.js';
export { parseIPv4, formatIPv4, parseRemote, parseRemotes, type VxlanEndpoint } from './endpoints.js';
export {
  VXLAN_FLAG_I,
  VXLAN_HEADER_SIZE,
  VXLAN_UDP_PORT,
  VXLAN_VNI_MAX,
  VxlanHeaderError,
  checkVxlanHeader,
  emitVxlanHeader,
  parseVxlanHeader,
  vxlanVni,
  writeVxlanHeader,
  type VxlanRepr,
} from './header.js';

/** `LocalAddress` at load time: an IPv4 literal (whether this host has it shows when the socket is bound). */
function localAddressProblem(text: string): string | undefined {
  const why = ipv4AddressProblem(text.trim());
  return why === null ? undefined : `'${text}' is not an IPv4 address: ${why}`;
}

export const vxlanMiniport = {
  kind: 'miniport',
  name: 'tsndis.vxlan',
  description: 'VXLAN (RFC 7348) Ethernet adapter over a UDP/IPv4 socket',
  ndisVersion: { major: 6, minor: 30 },
  driverVersion: { major: 1, minor: 0 },
  medium: NdisMedium802_3,
  keywords: {
    LocalAddress: { type: 'edit', description: 'IPv4 address to bind the VXLAN socket to (the local VTEP)', required: true, check: (v) => localAddressProblem(String(v)) },
    LocalPort: { type: 'int', description: 'UDP port to bind; also the port of remotes given without one and of learned endpoints', default: 4789, min: 1, max: 65535 },
    Vni: { type: 'int', description: 'VXLAN network identifier', required: true, min: 1, max: 16777215 },
    Remotes: { type: 'multi', description: "static remote VTEPs, 'ip' or 'ip:port': where broadcast, multicast and unknown unicast frames are flooded", check: (v) => parseRemotes(v, VXLAN_UDP_PORT).errors[0] },
    NetworkAddress: { type: 'edit', description: 'MAC address (12 hex digits, - or : optional); default: stable per VNI, local endpoint and adapter' },
    '*JumboPacket': { type: 'int', description: 'largest frame in bytes including the Ethernet header (the underlay must carry it + 50 bytes)', default: 1514, min: 1514, max: 16384 },
    LearningAgeSeconds: { type: 'int', description: 'lifetime of learned MAC → endpoint entries; 0 turns learning off (everything floods)', default: 300, min: 0, max: 1000000 },
    '*ReceiveBuffers': { type: 'int', description: 'receive buffers (NBLs) in the adapter pool', default: 512, min: 16, max: 65536 },
    '*TransmitBuffers': { type: 'int', description: 'encapsulation buffers: frames handed to the socket and not yet sent', default: 256, min: 16, max: 65536 },
  },
  adapter: VxlanAdapter,
} as const satisfies MiniportDriverCharacteristics;
