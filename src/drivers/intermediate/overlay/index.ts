/**
 * tsndis.overlay: an NVGRE / VXLAN gateway. One protocol binding to the underlay adapter (a TAP, a
 * virtual wire …), one virtual miniport above it — the tenant adapter, where the tenant's protocols
 * (tsndis.tcpip) bind. Tenant frames leave inside VXLAN (RFC 7348) or NVGRE (RFC 7637) to a remote VTEP
 * and come back the same way; the tenant sees an Ethernet adapter with checksum and LSOv2 offload, which
 * the gateway does itself or hands to the underlay adapter's encapsulated-packet task offload (offload
 * digest §6). See README.md.
 */
import { NdisMedium802_3, type IntermediateDriverCharacteristics, type KeywordSchema } from '../../../ndis/index.js';
import { ipv4AddressProblem } from '../../../wire/address.js';
import { parseMac } from '../../../ndis/index.js';
import { standardOffloadKeywords } from '../../common/task-offload.js';
import { FLOW_ID_MAX, VSID_MAX } from './encap.js';
import { OverlayLowerBinding } from './lower-binding.js';
import { OverlayTenantAdapter } from './tenant-miniport.js';

export { OverlayLowerBinding, type OverlayDrops, type UnderlayNeighbor } from './lower-binding.js';
export { OverlayTenantAdapter } from './tenant-miniport.js';
export { OverlayCounters, type OverlayPort } from './shared.js';
export { OverlayTransmit, TxPath, TxResult, releaseNetBuffers } from './transmit.js';
export * from './encap.js';
export * from './encap-offload.js';

const ipv4 = (v: unknown): string | undefined => (String(v) === '' ? undefined : (ipv4AddressProblem(String(v)) ?? undefined));

// The tenant adapter's offload keywords: checksums and LSOv2 only (no RSC, LSOv1, USO or encapsulated offload of its own).
const {
  '*RscIPv4': _r4,
  '*RscIPv6': _r6,
  '*LsoV1IPv4': _v1,
  '*UsoIPv4': _u4,
  '*UsoIPv6': _u6,
  '*EncapsulatedPacketTaskOffload': _e,
  ...tenantOffloadKeywords
} = standardOffloadKeywords(true);

/** The tenant adapter's keywords (config: the virtual adapter's `keywords`). */
export const OVERLAY_TENANT_KEYWORDS = {
  Encapsulation: { type: 'enum', values: ['vxlan', 'nvgre'], default: 'vxlan', description: 'vxlan (UDP, RFC 7348) or nvgre (GRE key, RFC 7637)' },
  VirtualSubnetId: { type: 'int', min: 1, max: VSID_MAX, required: true, description: 'the VXLAN VNI or NVGRE VSID of the tenant network' },
  FlowId: { type: 'int', min: 0, max: FLOW_ID_MAX, default: 0, description: "NVGRE: the FlowID (the GRE key's low 8 bits) sent" },
  UdpPort: { type: 'int', min: 1, max: 65535, default: 4789, description: 'VXLAN: the UDP destination port sent to and received on' },
  LocalAddress: { type: 'edit', required: true, description: "this VTEP's underlay IPv4 address (the gateway answers ARP for it on the underlay adapter)", check: ipv4 },
  RemoteAddress: { type: 'edit', required: true, description: "the remote VTEP's underlay IPv4 address (its MAC is resolved by ARP)", check: ipv4 },
  RemoteMacAddress: { type: 'edit', default: '', description: "the remote VTEP's (or the underlay next hop's) MAC, instead of ARP", check: (v) => (String(v) === '' || parseMac(String(v)) !== null ? undefined : 'is not a MAC address') },
  NetworkAddress: { type: 'edit', default: '', description: "the tenant adapter's MAC; default: stable per adapter name and VNI", check: (v) => (String(v) === '' || parseMac(String(v)) !== null ? undefined : 'is not a MAC address') },
  ...tenantOffloadKeywords,
} as const satisfies KeywordSchema;

export const overlayDriver = {
  kind: 'intermediate',
  name: 'tsndis.overlay',
  description: 'NVGRE / VXLAN gateway: a tenant adapter whose frames travel encapsulated over the adapter below',
  ndisVersion: { major: 6, minor: 50 },
  driverVersion: { major: 1, minor: 0 },
  miniport: { medium: NdisMedium802_3, adapter: OverlayTenantAdapter, keywords: OVERLAY_TENANT_KEYWORDS },
  protocol: {
    mediumArray: [NdisMedium802_3],
    keywords: { UpperBindings: { type: 'multi', description: 'the tenant adapter (one name)' } },
    binding: OverlayLowerBinding,
  },
} as const satisfies IntermediateDriverCharacteristics;
