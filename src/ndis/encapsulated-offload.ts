/**
 * Encapsulated-packet task offload (NVGRE / VXLAN, offload digest §1.3, §1.4, §6.2): the typed
 * NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD (GRE) and _V2 (VXLAN) capability blocks of NDIS_OFFLOAD, the
 * EncapsulationTypes bits, their binary layout inside NDIS_OFFLOAD revisions 3 and 4, the
 * EncapsulationProtocolParameters of NDIS_OFFLOAD_PARAMETERS revision 4, and the control-path rules
 * (apply a parameters set, intersect for an IM driver).
 *
 * The NdisOffload fields are optional: an adapter without the offload leaves them out, which reads as
 * NOT_SUPPORTED everywhere (and keeps configurations built before this offload existed unchanged).
 * Layout ✓ against public x64 type dumps of NDIS_OFFLOAD: Gre at 0x94 (8 bytes), Vxlan at 0x9c (0x14
 * bytes), EncapsulationTypes at 0xb0; NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4 = through EncapsulationTypes.
 */
import { put16, put32, u16, u32 } from './codec-bytes.js';
// Revision numbers and sizes are shared with the USO revisions: one definition, in offload.ts.
import { NDIS_OFFLOAD_REVISION_4 } from './offload.js';

/** Each 4-bit capability field of the structure is a mask of these (§1.3). */
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_NOT_SUPPORTED = 0x0;
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4 = 0x1;
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4 = 0x2;
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6 = 0x4;
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV6 = 0x8;
/** Every inner/outer IPv4/IPv6 combination. */
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL = 0xf;

/** NDIS_OFFLOAD.EncapsulationTypes / NDIS_OFFLOAD_PARAMETERS.EncapsulationTypes bits. */
export const NDIS_ENCAPSULATION_TYPE_GRE_MAC = 0x1;
export const NDIS_ENCAPSULATION_TYPE_VXLAN = 0x2;

/** IANA VXLAN port (RFC 7348), the usual VxlanUDPPortNumber. */
export const VXLAN_UDP_PORT_DEFAULT = 4789;
/** The WDK's suggested MaxHeaderSizeSupported ("256 bytes covers all cases"). */
export const ENCAPSULATED_MAX_HEADER_SIZE_DEFAULT = 256;

export const NDIS_SIZEOF_ENCAPSULATED_PACKET_TASK_OFFLOAD = 8;
export const NDIS_SIZEOF_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2 = 20;

/** Byte offsets inside NDIS_OFFLOAD / NDIS_OFFLOAD_PARAMETERS. */
export const NDIS_OFFLOAD_GRE_OFFSET = 0x94;
export const NDIS_OFFLOAD_VXLAN_OFFSET = 0x9c;
export const NDIS_OFFLOAD_ENCAPSULATION_TYPES_OFFSET = 0xb0;
export const NDIS_OFFLOAD_PARAMETERS_ENCAPSULATION_PROTOCOL_OFFSET = 28;

/** NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD: each field a mask of NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_*. */
export interface EncapsulatedPacketTaskOffload {
  readonly transmitChecksumOffloadSupported: number;
  readonly receiveChecksumOffloadSupported: number;
  readonly lsoV2Supported: number;
  readonly rssSupported: number;
  readonly vmqSupported: number;
  /** NDIS 6.85+ (reserved bits before). */
  readonly usoSupported: number;
  /** Most bytes from the frame start to the end of the inner TCP/UDP header the adapter handles. */
  readonly maxHeaderSizeSupported: number;
}

/** NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2 (VXLAN): adds EncapsulationProtocolInfo.VxlanInfo. */
export interface EncapsulatedPacketTaskOffloadV2 extends EncapsulatedPacketTaskOffload {
  readonly vxlanUdpPortNumber: number;
  readonly vxlanUdpPortNumberConfigurable: boolean;
}

export const NO_ENCAPSULATED_PACKET_TASK_OFFLOAD: EncapsulatedPacketTaskOffload = Object.freeze({
  transmitChecksumOffloadSupported: 0,
  receiveChecksumOffloadSupported: 0,
  lsoV2Supported: 0,
  rssSupported: 0,
  vmqSupported: 0,
  usoSupported: 0,
  maxHeaderSizeSupported: 0,
});

export const NO_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2: EncapsulatedPacketTaskOffloadV2 = Object.freeze({
  ...NO_ENCAPSULATED_PACKET_TASK_OFFLOAD,
  vxlanUdpPortNumber: 0,
  vxlanUdpPortNumberConfigurable: false,
});

/** The encapsulated-offload part of an NdisOffload (the optional fields, all present). */
export interface EncapsulatedOffloadFields {
  readonly encapsulatedPacketTaskOffloadGre: EncapsulatedPacketTaskOffload;
  readonly encapsulatedPacketTaskOffloadVxlan: EncapsulatedPacketTaskOffloadV2;
  /** Hardware capabilities: the types supported; current configuration: the types enabled. */
  readonly encapsulationTypes: number;
}

/** What the optional NdisOffload fields hold (anything with those three optional properties). */
export interface MaybeEncapsulatedOffload {
  readonly encapsulatedPacketTaskOffloadGre?: EncapsulatedPacketTaskOffload;
  readonly encapsulatedPacketTaskOffloadVxlan?: EncapsulatedPacketTaskOffloadV2;
  readonly encapsulationTypes?: number;
}

/** The three fields with absent ones as NOT_SUPPORTED. */
export function encapsulatedOffloadOf(o: MaybeEncapsulatedOffload): EncapsulatedOffloadFields {
  return {
    encapsulatedPacketTaskOffloadGre: o.encapsulatedPacketTaskOffloadGre ?? NO_ENCAPSULATED_PACKET_TASK_OFFLOAD,
    encapsulatedPacketTaskOffloadVxlan: o.encapsulatedPacketTaskOffloadVxlan ?? NO_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2,
    encapsulationTypes: o.encapsulationTypes ?? 0,
  };
}

function blockIsNone(b: EncapsulatedPacketTaskOffload): boolean {
  return (
    b.transmitChecksumOffloadSupported === 0 && b.receiveChecksumOffloadSupported === 0 && b.lsoV2Supported === 0 && b.rssSupported === 0 &&
    b.vmqSupported === 0 && b.usoSupported === 0 && b.maxHeaderSizeSupported === 0
  );
}

/** True when nothing of the encapsulated offload is present (the fields may then be left out). */
export function encapsulatedOffloadIsNone(o: MaybeEncapsulatedOffload): boolean {
  const e = encapsulatedOffloadOf(o);
  const v = e.encapsulatedPacketTaskOffloadVxlan;
  return e.encapsulationTypes === 0 && blockIsNone(e.encapsulatedPacketTaskOffloadGre) && blockIsNone(v) && v.vxlanUdpPortNumber === 0 && !v.vxlanUdpPortNumberConfigurable;
}

/**
 * `base` with the encapsulated fields of `e` — left out when `e` is all NOT_SUPPORTED, so configurations
 * without the offload keep their shape (equality by JSON, codec round trips).
 */
export function withEncapsulatedOffload<T extends object>(base: T, e: MaybeEncapsulatedOffload): T {
  const { encapsulatedPacketTaskOffloadGre: _g, encapsulatedPacketTaskOffloadVxlan: _v, encapsulationTypes: _t, ...rest } = base as T & MaybeEncapsulatedOffload;
  if (encapsulatedOffloadIsNone(e)) return rest as T;
  const f = encapsulatedOffloadOf(e);
  return { ...rest, ...f } as T;
}

// ------------------------------------------------------------------------------------------------------
// Binary layout
// ------------------------------------------------------------------------------------------------------

/** The first ULONG: 4-bit fields Transmit 0–3, Receive 4–7, LsoV2 8–11, Rss 12–15, Vmq 16–19, Uso 20–23. */
function packBits(b: EncapsulatedPacketTaskOffload): number {
  return (
    ((b.transmitChecksumOffloadSupported & 0xf) |
      ((b.receiveChecksumOffloadSupported & 0xf) << 4) |
      ((b.lsoV2Supported & 0xf) << 8) |
      ((b.rssSupported & 0xf) << 12) |
      ((b.vmqSupported & 0xf) << 16) |
      ((b.usoSupported & 0xf) << 20)) >>>
    0
  );
}

function unpack(w: number, max: number): EncapsulatedPacketTaskOffload {
  return {
    transmitChecksumOffloadSupported: w & 0xf,
    receiveChecksumOffloadSupported: (w >>> 4) & 0xf,
    lsoV2Supported: (w >>> 8) & 0xf,
    rssSupported: (w >>> 12) & 0xf,
    vmqSupported: (w >>> 16) & 0xf,
    usoSupported: (w >>> 20) & 0xf,
    maxHeaderSizeSupported: max,
  };
}

/** NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD (8 bytes): 0 bit fields  4 MaxHeaderSizeSupported. */
export function writeEncapsulatedPacketTaskOffload(buf: Uint8Array, o: number, v: EncapsulatedPacketTaskOffload): void {
  put32(buf, o, packBits(v));
  put32(buf, o + 4, v.maxHeaderSizeSupported >>> 0);
}

export function readEncapsulatedPacketTaskOffload(buf: Uint8Array, o: number): EncapsulatedPacketTaskOffload {
  return unpack(u32(buf, o), u32(buf, o + 4));
}

/**
 * NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2 (20 bytes): 0 bit fields  4 MaxHeaderSizeSupported
 * 8 VxlanInfo.VxlanUDPPortNumber (USHORT)  10 VxlanUDPPortNumberConfigurable (bit 0 of a USHORT)
 * 12 Reserved1  16 Reserved2.
 */
export function writeEncapsulatedPacketTaskOffloadV2(buf: Uint8Array, o: number, v: EncapsulatedPacketTaskOffloadV2): void {
  writeEncapsulatedPacketTaskOffload(buf, o, v);
  put16(buf, o + 8, v.vxlanUdpPortNumber);
  put16(buf, o + 10, v.vxlanUdpPortNumberConfigurable ? 1 : 0);
  put32(buf, o + 12, 0);
  put32(buf, o + 16, 0);
}

export function readEncapsulatedPacketTaskOffloadV2(buf: Uint8Array, o: number): EncapsulatedPacketTaskOffloadV2 {
  return { ...readEncapsulatedPacketTaskOffload(buf, o), vxlanUdpPortNumber: u16(buf, o + 8), vxlanUdpPortNumberConfigurable: (u16(buf, o + 10) & 1) !== 0 };
}

/** The NDIS_OFFLOAD revision that carries `o`'s encapsulated fields: 4 when any is present, else 3. */
export function ndisOffloadRevisionFor(o: MaybeEncapsulatedOffload): 3 | 4 {
  return encapsulatedOffloadIsNone(o) ? 3 : 4;
}

/** Writes the encapsulated fields into an NDIS_OFFLOAD at `o` (GRE always; VXLAN and types when `revision` ≥ 4). */
export function writeNdisOffloadEncapsulated(buf: Uint8Array, o: number, v: MaybeEncapsulatedOffload, revision: number): void {
  const e = encapsulatedOffloadOf(v);
  writeEncapsulatedPacketTaskOffload(buf, o + NDIS_OFFLOAD_GRE_OFFSET, e.encapsulatedPacketTaskOffloadGre);
  if (revision < NDIS_OFFLOAD_REVISION_4) return;
  writeEncapsulatedPacketTaskOffloadV2(buf, o + NDIS_OFFLOAD_VXLAN_OFFSET, e.encapsulatedPacketTaskOffloadVxlan);
  buf[o + NDIS_OFFLOAD_ENCAPSULATION_TYPES_OFFSET] = e.encapsulationTypes & 0xff;
}

/**
 * Reads the encapsulated fields of an NDIS_OFFLOAD of `revision` (≥ 3), as the optional fields (empty
 * when all NOT_SUPPORTED). Revision 3 (NDIS 6.30) has no EncapsulationTypes: a GRE block that offers
 * anything reads as GRE_MAC enabled, the only type that revision knows.
 */
export function readNdisOffloadEncapsulated(buf: Uint8Array, o: number, revision: number): MaybeEncapsulatedOffload {
  const gre = readEncapsulatedPacketTaskOffload(buf, o + NDIS_OFFLOAD_GRE_OFFSET);
  if (revision < NDIS_OFFLOAD_REVISION_4) {
    return withEncapsulatedOffload({}, { encapsulatedPacketTaskOffloadGre: gre, encapsulationTypes: blockIsNone(gre) ? 0 : NDIS_ENCAPSULATION_TYPE_GRE_MAC });
  }
  return withEncapsulatedOffload(
    {},
    {
      encapsulatedPacketTaskOffloadGre: gre,
      encapsulatedPacketTaskOffloadVxlan: readEncapsulatedPacketTaskOffloadV2(buf, o + NDIS_OFFLOAD_VXLAN_OFFSET),
      encapsulationTypes: buf[o + NDIS_OFFLOAD_ENCAPSULATION_TYPES_OFFSET]!,
    },
  );
}

// ------------------------------------------------------------------------------------------------------
// Control path: OID_TCP_OFFLOAD_PARAMETERS and IM intersection
// ------------------------------------------------------------------------------------------------------

/** The EncapsulationTypes bits `hardware` supports (a type counts only with a non-empty capability block). */
export function supportedEncapsulationTypes(hardware: MaybeEncapsulatedOffload): number {
  const e = encapsulatedOffloadOf(hardware);
  let t = 0;
  if ((e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0 && !blockIsNone(e.encapsulatedPacketTaskOffloadGre)) t |= NDIS_ENCAPSULATION_TYPE_GRE_MAC;
  if ((e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0 && !blockIsNone(e.encapsulatedPacketTaskOffloadVxlan)) t |= NDIS_ENCAPSULATION_TYPE_VXLAN;
  return t;
}

/**
 * The current encapsulated configuration for `enabledTypes` (a subset of what `hardware` supports): each
 * enabled type's block as the hardware offers it, the others NOT_SUPPORTED. The VXLAN port is
 * `vxlanPort` (the configured one) when VXLAN is enabled.
 */
export function encapsulatedOffloadFor(hardware: MaybeEncapsulatedOffload, enabledTypes: number, vxlanPort: number): EncapsulatedOffloadFields {
  const h = encapsulatedOffloadOf(hardware);
  const types = enabledTypes & supportedEncapsulationTypes(hardware);
  return {
    encapsulatedPacketTaskOffloadGre: (types & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0 ? h.encapsulatedPacketTaskOffloadGre : NO_ENCAPSULATED_PACKET_TASK_OFFLOAD,
    encapsulatedPacketTaskOffloadVxlan:
      (types & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0 ? { ...h.encapsulatedPacketTaskOffloadVxlan, vxlanUdpPortNumber: vxlanPort } : NO_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2,
    encapsulationTypes: types,
  };
}

/** Why an encapsulated-offload parameters set must be refused, or null (the status is the caller's). */
export type EncapsulatedParametersError = 'bad-value' | 'type-not-supported' | 'port-not-configurable';

/**
 * Checks the encapsulated part of an OID_TCP_OFFLOAD_PARAMETERS set against `hardware`:
 * EncapsulatedPacketTaskOffload outside NO_CHANGE/SET_ON/SET_OFF, or SET_ON/OFF without any type → bad
 * value; a type bit the hardware does not advertise → not supported; a VXLAN port on hardware whose port
 * is fixed (and differs) → not configurable.
 */
export function checkEncapsulatedParameters(hardware: MaybeEncapsulatedOffload, setting: number, types: number, vxlanPort: number): EncapsulatedParametersError | null {
  if (setting > 2) return 'bad-value';
  if (setting !== 0 && types === 0) return 'bad-value';
  if (setting !== 0 && (types & ~supportedEncapsulationTypes(hardware)) !== 0) return 'type-not-supported';
  if (vxlanPort !== 0) {
    const v = encapsulatedOffloadOf(hardware).encapsulatedPacketTaskOffloadVxlan;
    if ((supportedEncapsulationTypes(hardware) & NDIS_ENCAPSULATION_TYPE_VXLAN) === 0) return 'type-not-supported';
    if (!v.vxlanUdpPortNumberConfigurable && vxlanPort !== v.vxlanUdpPortNumber) return 'port-not-configurable';
  }
  return null;
}

/**
 * The encapsulated fields after a (checked) parameters set: SET_ON adds `types`, SET_OFF removes them,
 * NO_CHANGE keeps the enabled set; a non-zero `vxlanPort` becomes the reported port.
 */
export function applyEncapsulatedParameters(current: MaybeEncapsulatedOffload, hardware: MaybeEncapsulatedOffload, setting: number, types: number, vxlanPort: number): EncapsulatedOffloadFields {
  const cur = encapsulatedOffloadOf(current);
  let enabled = cur.encapsulationTypes;
  if (setting === 1) enabled |= types;
  else if (setting === 2) enabled &= ~types;
  const hwPort = encapsulatedOffloadOf(hardware).encapsulatedPacketTaskOffloadVxlan.vxlanUdpPortNumber;
  const port = vxlanPort !== 0 ? vxlanPort : cur.encapsulatedPacketTaskOffloadVxlan.vxlanUdpPortNumber !== 0 ? cur.encapsulatedPacketTaskOffloadVxlan.vxlanUdpPortNumber : hwPort;
  return encapsulatedOffloadFor(hardware, enabled, port);
}

function andBlock(a: EncapsulatedPacketTaskOffload, b: EncapsulatedPacketTaskOffload): EncapsulatedPacketTaskOffload {
  return {
    transmitChecksumOffloadSupported: a.transmitChecksumOffloadSupported & b.transmitChecksumOffloadSupported,
    receiveChecksumOffloadSupported: a.receiveChecksumOffloadSupported & b.receiveChecksumOffloadSupported,
    lsoV2Supported: a.lsoV2Supported & b.lsoV2Supported,
    rssSupported: a.rssSupported & b.rssSupported,
    vmqSupported: a.vmqSupported & b.vmqSupported,
    usoSupported: a.usoSupported & b.usoSupported,
    maxHeaderSizeSupported: Math.min(a.maxHeaderSizeSupported, b.maxHeaderSizeSupported),
  };
}

/**
 * §1.7 rule 1 for the encapsulated fields: masks AND, MaxHeaderSizeSupported the minimum, the types
 * both support. VXLAN survives only when both use the same port (a frame to one port is not VXLAN to an
 * adapter parsing another), and the port is configurable only if it is on both.
 */
export function intersectEncapsulatedOffload(a: MaybeEncapsulatedOffload, b: MaybeEncapsulatedOffload): EncapsulatedOffloadFields {
  const x = encapsulatedOffloadOf(a);
  const y = encapsulatedOffloadOf(b);
  let types = x.encapsulationTypes & y.encapsulationTypes;
  const vx = x.encapsulatedPacketTaskOffloadVxlan;
  const vy = y.encapsulatedPacketTaskOffloadVxlan;
  if (vx.vxlanUdpPortNumber !== vy.vxlanUdpPortNumber) types &= ~NDIS_ENCAPSULATION_TYPE_VXLAN;
  const gre = (types & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0 ? andBlock(x.encapsulatedPacketTaskOffloadGre, y.encapsulatedPacketTaskOffloadGre) : NO_ENCAPSULATED_PACKET_TASK_OFFLOAD;
  const vxlan: EncapsulatedPacketTaskOffloadV2 =
    (types & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0
      ? { ...andBlock(vx, vy), vxlanUdpPortNumber: vx.vxlanUdpPortNumber, vxlanUdpPortNumberConfigurable: vx.vxlanUdpPortNumberConfigurable && vy.vxlanUdpPortNumberConfigurable }
      : NO_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2;
  return { encapsulatedPacketTaskOffloadGre: gre, encapsulatedPacketTaskOffloadVxlan: vxlan, encapsulationTypes: types };
}

/** One-line summary for describeOffload: `encap gre vxlan:4789 ≤256`, or '' when off. */
export function describeEncapsulatedOffload(o: MaybeEncapsulatedOffload): string {
  const e = encapsulatedOffloadOf(o);
  const parts: string[] = [];
  if ((e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0) parts.push('gre');
  if ((e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0) parts.push(`vxlan:${e.encapsulatedPacketTaskOffloadVxlan.vxlanUdpPortNumber}`);
  if (parts.length === 0) return '';
  const max = Math.max(e.encapsulatedPacketTaskOffloadGre.maxHeaderSizeSupported, e.encapsulatedPacketTaskOffloadVxlan.maxHeaderSizeSupported);
  return `encap ${parts.join(' ')} ≤${max}`;
}
