/**
 * The VXLAN header (RFC 7348 §5), 8 bytes in front of the inner Ethernet frame in a UDP payload:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Receive validation is Linux's (drivers/net/vxlan), stricter than the RFC's "reserved bits are ignored
 * on receipt": the I flag must be set and every reserved bit must be zero, because set reserved bits mean
 * an extension (GBP, GPE, RCO …) this driver does not parse and would misread.
 *
 * `checkVxlanHeader` runs on untrusted bytes before anything else reads them; the accessors below are
 * safe only after it returned VxlanHeaderError.None.
 */

export const VXLAN_HEADER_SIZE = 8;
/** IANA-assigned UDP port (RFC 7348 §5). */
export const VXLAN_UDP_PORT = 4789;
/** The I flag: the VNI is valid. */
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_VNI_MAX = 0xffffff;

/** Why a datagram is not an acceptable VXLAN header (0 = acceptable). */
export const VxlanHeaderError = {
  None: 0,
  /** Shorter than the 8-byte header. */
  Truncated: 1,
  /** The I flag is clear. */
  MissingIFlag: 2,
  /** A reserved bit (flags byte, bytes 1–3 or byte 7) is set. */
  ReservedBits: 3,
} as const;
export type VxlanHeaderError = (typeof VxlanHeaderError)[keyof typeof VxlanHeaderError];

/** Validates the header at `b[o…o+len)`; returns VxlanHeaderError.None when the accessors are safe. */
export function checkVxlanHeader(b: Uint8Array, o: number, len: number): VxlanHeaderError {
  if (len < VXLAN_HEADER_SIZE || o < 0 || o + VXLAN_HEADER_SIZE > b.length) return VxlanHeaderError.Truncated;
  const flags = b[o]!;
  if ((flags & VXLAN_FLAG_I) === 0) return VxlanHeaderError.MissingIFlag;
  if ((flags & ~VXLAN_FLAG_I) !== 0 || b[o + 1] !== 0 || b[o + 2] !== 0 || b[o + 3] !== 0 || b[o + 7] !== 0) return VxlanHeaderError.ReservedBits;
  return VxlanHeaderError.None;
}

/** The 24-bit VNI of a checked header. */
export function vxlanVni(b: Uint8Array, o: number): number {
  return (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!;
}

/** Writes a header with the I flag, `vni` and zero reserved fields at `b[o…o+8)`. */
export function writeVxlanHeader(b: Uint8Array, o: number, vni: number): void {
  b[o] = VXLAN_FLAG_I;
  b[o + 1] = 0;
  b[o + 2] = 0;
  b[o + 3] = 0;
  b[o + 4] = (vni >>> 16) & 0xff;
  b[o + 5] = (vni >>> 8) & 0xff;
  b[o + 6] = vni & 0xff;
  b[o + 7] = 0;
}

/** Control-path representation (tests, inspection). */
export interface VxlanRepr {
  readonly vni: number;
}

export function parseVxlanHeader(b: Uint8Array, o = 0, len = b.length - o): VxlanRepr | VxlanHeaderError {
  const e = checkVxlanHeader(b, o, len);
  return e === VxlanHeaderError.None ? { vni: vxlanVni(b, o) } : e;
}

export function emitVxlanHeader(r: VxlanRepr): Uint8Array {
  if (!Number.isInteger(r.vni) || r.vni < 0 || r.vni > VXLAN_VNI_MAX) throw new RangeError(`VNI ${r.vni} outside 0..${VXLAN_VNI_MAX}`);
  const b = new Uint8Array(VXLAN_HEADER_SIZE);
  writeVxlanHeader(b, 0, r.vni);
  return b;
}
