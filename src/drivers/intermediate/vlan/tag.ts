/**
 * The 802.1Q tag itself, as bytes: classifying a received frame (untagged, tagged, double-tagged,
 * truncated) and writing the 18-byte tagged header of a frame to send. Pure functions over byte arrays,
 * so the MUX's data path and the tests share them (no allocation).
 *
 *   untagged  [dst 6][src 6][type 2][payload…]
 *   tagged    [dst 6][src 6][0x8100][TCI 2][type 2][payload…]      TCI = PCP(3) DEI(1) VID(12)
 */
import { ETHERNET_HEADER_LEN, ETHERNET_VLAN_HEADER_LEN } from '../../../wire/ethernet.js';
import { EtherType } from '../../../wire/numbers.js';

/** Lowest and highest VLAN ID a virtual miniport may carry (0 = priority tag only, 4095 reserved). */
export const VLAN_ID_MIN = 1;
export const VLAN_ID_MAX = 4094;

/** What a received frame is, to the MUX. */
export const TagKind = {
  /** No 802.1Q tag (the MUX has no native VLAN: counted and dropped). */
  Untagged: 0,
  /** One 802.1Q tag: `vlanId` / `priority` of the scratch result are valid. */
  Tagged: 1,
  /** A tag inside the tag (802.1Q or 802.1ad TPID as the inner EtherType), or an 802.1ad outer tag. */
  DoubleTagged: 2,
  /** The TPID says tagged but the frame ends inside the tag or the inner EtherType. */
  Truncated: 3,
} as const;
export type TagKind = (typeof TagKind)[keyof typeof TagKind];

/** The classification of one frame; one instance per data path, reused. */
export class TagInfo {
  kind: TagKind = TagKind.Untagged;
  vlanId = 0;
  priority = 0;
  /** EtherType behind the tag (Tagged only). */
  innerType = 0;
}

/**
 * Classifies the frame whose first `length` bytes are `b[0, length)` (only the first 18 are read; a
 * shorter frame passes its real length). Frames shorter than an Ethernet header are Truncated.
 */
export function classifyFrame(b: Uint8Array, length: number, out: TagInfo): TagKind {
  out.vlanId = 0;
  out.priority = 0;
  out.innerType = 0;
  out.kind = kindOf(b, length, out);
  return out.kind;
}

function kindOf(b: Uint8Array, length: number, out: TagInfo): TagKind {
  if (length < ETHERNET_HEADER_LEN) return TagKind.Truncated;
  const tpid = (b[12]! << 8) | b[13]!;
  if (tpid === EtherType.QinQ) return TagKind.DoubleTagged;
  if (tpid !== EtherType.Vlan) return TagKind.Untagged;
  if (length < ETHERNET_VLAN_HEADER_LEN) return TagKind.Truncated;
  const tci = (b[14]! << 8) | b[15]!;
  const inner = (b[16]! << 8) | b[17]!;
  out.priority = tci >>> 13;
  out.vlanId = tci & 0xfff;
  out.innerType = inner;
  return inner === EtherType.Vlan || inner === EtherType.QinQ ? TagKind.DoubleTagged : TagKind.Tagged;
}

/**
 * Writes the 18-byte tagged header into `out[at, at + 18)` from the untagged header `h[0, 14)`
 * (destination, source, EtherType) with VLAN `vlanId` and 802.1p `priority` (DEI 0).
 */
export function writeTaggedHeader(h: Uint8Array, vlanId: number, priority: number, out: Uint8Array, at = 0): void {
  for (let i = 0; i < 12; i++) out[at + i] = h[i]!;
  const tci = ((priority & 7) << 13) | (vlanId & 0xfff);
  out[at + 12] = EtherType.Vlan >>> 8;
  out[at + 13] = EtherType.Vlan & 0xff;
  out[at + 14] = tci >>> 8;
  out[at + 15] = tci & 0xff;
  out[at + 16] = h[12]!;
  out[at + 17] = h[13]!;
}

/** Writes the 14-byte untagged header into `out[at, at + 14)` from the tagged header `h[0, 18)`. */
export function writeUntaggedHeader(h: Uint8Array, out: Uint8Array, at = 0): void {
  for (let i = 0; i < 12; i++) out[at + i] = h[i]!;
  out[at + 12] = h[16]!;
  out[at + 13] = h[17]!;
}

/** Whole-frame forms of the two rewrites (tests, tools): a new array, the payload copied. */
export function tagFrame(frame: Uint8Array, vlanId: number, priority: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  writeTaggedHeader(frame, vlanId, priority, out, 0);
  out.set(frame.subarray(ETHERNET_HEADER_LEN), ETHERNET_VLAN_HEADER_LEN);
  return out;
}

export function untagFrame(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length - 4);
  writeUntaggedHeader(frame, out, 0);
  out.set(frame.subarray(ETHERNET_VLAN_HEADER_LEN), ETHERNET_HEADER_LEN);
  return out;
}
