/**
 * The underlay headers tsndis.overlay puts in front of a tenant frame, and the receive parser that takes
 * them off again. IPv4 underlay only.
 *
 *   VXLAN (RFC 7348):  Ethernet 14 | IPv4 20 (proto 17, DF) | UDP 8 (dst UdpPort, checksum 0) | VXLAN 8 | inner frame
 *   NVGRE (RFC 7637):  Ethernet 14 | IPv4 20 (proto 47, DF) | GRE 8 (0x2000 0x6558, key VSID<<8|FlowID) | inner frame
 *
 * Receive parses GRE per RFC 2784 with the key / sequence extension of RFC 2890: the C, K and S bits each
 * add 4 bytes (checksum+reserved1, key, sequence number, in that order); K is required (it carries the
 * VSID), the version must be 0, every other reserved bit 0 (a routing-present bit from RFC 1701 would
 * mean a header we cannot size), and a present GRE checksum is verified. The outer IPv4 header checksum is
 * always verified, a non-zero UDP checksum too. Length fields are checked against each other and against
 * the bytes at hand (IPv4 total length, IHL, UDP length, GRE optional fields): a header that claims more
 * than is there — a lying offset — is a counted drop, never a read past the frame.
 *
 * `decapsulate` runs on untrusted bytes and never throws; every outcome is one `DecapResult`.
 */
import { read16, read32, write16 } from '../../../wire/bytes.js';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from '../../../wire/checksum.js';
import { ETHERNET_HEADER_LEN } from '../../../wire/ethernet.js';
import { IPV4_HEADER_LEN, Ipv4Field, Ipv4Flag } from '../../../wire/ipv4.js';
import { EtherType, IpProtocol } from '../../../wire/numbers.js';
import { checkVxlanHeader, VXLAN_HEADER_SIZE, VxlanHeaderError, vxlanVni, writeVxlanHeader } from '../../miniport/vxlan/header.js';

export { VXLAN_HEADER_SIZE, VXLAN_UDP_PORT } from '../../miniport/vxlan/header.js';

/** IP protocol number of GRE. */
export const IPPROTO_GRE = 47;
export const UDP_HEADER_LEN = 8;
/** The NVGRE GRE header: flags/version word, protocol type, key. */
export const NVGRE_HEADER_LEN = 8;
/** GRE flags/version word (RFC 2784 / RFC 2890). */
export const GRE_FLAG_C = 0x8000;
export const GRE_FLAG_K = 0x2000;
export const GRE_FLAG_S = 0x1000;
/** Reserved0 bits other than K and S (the RFC 1701 R bit, strict source route, recursion, flags). */
export const GRE_RESERVED0 = 0x4fff & ~0x0007 & ~GRE_FLAG_K & ~GRE_FLAG_S;
export const GRE_VERSION_MASK = 0x0007;
/** Transparent Ethernet Bridging: the GRE payload is an Ethernet frame (RFC 7637). */
export const GRE_PROTOCOL_TEB = 0x6558;
export const VSID_MAX = 0xffffff;
export const FLOW_ID_MAX = 0xff;

/** The two encapsulations (NDIS_ENCAPSULATION_TYPE_GRE_MAC / _VXLAN). */
export const OverlayKind = { Vxlan: 1, Nvgre: 2 } as const;
export type OverlayKind = (typeof OverlayKind)[keyof typeof OverlayKind];

/** Bytes in front of the inner frame when sending (outer Ethernet + IPv4 + UDP + VXLAN, or + GRE). */
export const VXLAN_OVERHEAD = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_SIZE;
export const NVGRE_OVERHEAD = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + NVGRE_HEADER_LEN;

export function overheadOf(kind: OverlayKind): number {
  return kind === OverlayKind.Vxlan ? VXLAN_OVERHEAD : NVGRE_OVERHEAD;
}

/** What the sending side writes into every outer header (one per tunnel, filled at initialize). */
export class TunnelHeader {
  kind: OverlayKind = OverlayKind.Vxlan;
  /** VXLAN VNI or NVGRE VSID (24 bits). */
  vni = 0;
  /** NVGRE FlowID (the key's low 8 bits). */
  flowId = 0;
  udpPort = 4789;
  localIp = 0;
  remoteIp = 0;
  readonly localMac = new Uint8Array(6);
  readonly remoteMac = new Uint8Array(6);
  ttl = 64;
}

/**
 * Writes the outer headers for an inner frame of `innerLength` bytes at `b[o, o + overhead)` and returns
 * the overhead. `ipId` is the outer IPv4 identification, `srcPort` the VXLAN UDP source port (entropy).
 * The outer IPv4 header checksum is computed; the UDP checksum is 0 (RFC 7348 §5: SHOULD be zero).
 */
export function writeOuterHeaders(b: Uint8Array, o: number, t: TunnelHeader, innerLength: number, ipId: number, srcPort: number): number {
  const vx = t.kind === OverlayKind.Vxlan;
  const overhead = vx ? VXLAN_OVERHEAD : NVGRE_OVERHEAD;
  b.set(t.remoteMac, o);
  b.set(t.localMac, o + 6);
  write16(b, o + 12, EtherType.Ipv4);
  const ip = o + ETHERNET_HEADER_LEN;
  b[ip] = 0x45;
  b[ip + 1] = 0;
  write16(b, ip + Ipv4Field.TotalLength, overhead - ETHERNET_HEADER_LEN + innerLength);
  write16(b, ip + Ipv4Field.Identification, ipId & 0xffff);
  write16(b, ip + Ipv4Field.FlagsFragmentOffset, Ipv4Flag.DontFragment);
  b[ip + Ipv4Field.Ttl] = t.ttl;
  b[ip + Ipv4Field.Protocol] = vx ? IpProtocol.Udp : IPPROTO_GRE;
  write16(b, ip + Ipv4Field.Checksum, 0);
  writeU32(b, ip + Ipv4Field.SrcAddr, t.localIp);
  writeU32(b, ip + Ipv4Field.DstAddr, t.remoteIp);
  write16(b, ip + Ipv4Field.Checksum, finishChecksum(onesComplementSum(b, ip, IPV4_HEADER_LEN)));
  const l4 = ip + IPV4_HEADER_LEN;
  if (vx) {
    write16(b, l4, srcPort);
    write16(b, l4 + 2, t.udpPort);
    write16(b, l4 + 4, UDP_HEADER_LEN + VXLAN_HEADER_SIZE + innerLength);
    write16(b, l4 + 6, 0);
    writeVxlanHeader(b, l4 + UDP_HEADER_LEN, t.vni);
  } else {
    write16(b, l4, GRE_FLAG_K);
    write16(b, l4 + 2, GRE_PROTOCOL_TEB);
    writeU32(b, l4 + 4, ((t.vni << 8) | (t.flowId & 0xff)) >>> 0);
  }
  return overhead;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * The VXLAN UDP source port for an inner frame (RFC 7348 §5: a hash of the inner headers, in the dynamic
 * range): the inner IPv4/IPv6 addresses and transport ports when present, else the inner MAC addresses.
 * Constant for a flow (no sequence numbers or lengths go in).
 */
export function flowSourcePort(b: Uint8Array, f: number, len: number): number {
  let h = 0x811c9dc5;
  const mix = (from: number, n: number): void => {
    for (let i = from; i < from + n; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  };
  const type = len >= ETHERNET_HEADER_LEN ? read16(b, f + 12) : 0;
  if (type === EtherType.Ipv4 && len >= ETHERNET_HEADER_LEN + IPV4_HEADER_LEN) {
    const ihl = (b[f + 14]! & 0x0f) * 4;
    mix(f + 26, 8);
    if (len >= ETHERNET_HEADER_LEN + ihl + 4) mix(f + ETHERNET_HEADER_LEN + ihl, 4);
  } else if (type === EtherType.Ipv6 && len >= ETHERNET_HEADER_LEN + 40) {
    mix(f + 22, 32);
    if (len >= ETHERNET_HEADER_LEN + 44) mix(f + ETHERNET_HEADER_LEN + 40, 4);
  } else {
    mix(f, Math.min(12, len));
  }
  return 49152 + ((h >>> 0) % 16384);
}

/** What `decapsulate` found (`DecapResult.Ok`) or why the frame is dropped. */
export const DecapResult = {
  Ok: 0,
  /** Not IPv4 to us carrying UDP to the VXLAN port or GRE (ARP, other traffic, another port). */
  NotOverlay: 1,
  /** Shorter than the headers it needs (Ethernet, IPv4, UDP, VXLAN/GRE, the inner Ethernet header). */
  Truncated: 2,
  /** A length field that disagrees with the bytes or another header: IHL, total length, UDP length, GRE optional fields. */
  BadLength: 3,
  /** The outer IPv4 header checksum, a non-zero UDP checksum or a present GRE checksum is wrong. */
  BadOuterChecksum: 4,
  /** VXLAN flags without I or with reserved bits; GRE version ≠ 0, reserved bits, or no key. */
  BadHeader: 5,
  /** GRE carrying something other than Transparent Ethernet Bridging (0x6558), or the other encapsulation. */
  UnknownEncapsulation: 6,
  /** A VNI / VSID this tunnel does not serve. */
  WrongVni: 7,
  /** An outer IPv4 fragment (the gateway does not reassemble the underlay). */
  Fragment: 8,
  /** Not a verdict: the bytes given hold the headers only, and a checksum over the payload must be checked (call again with the whole frame). */
  NeedWhole: 9,
} as const;
export type DecapResult = (typeof DecapResult)[keyof typeof DecapResult];

/** The outcome of one successful parse (reused per frame). */
export class DecapInfo {
  kind: OverlayKind = OverlayKind.Vxlan;
  /** Inner frame: offset from the frame start, and length (outer IPv4 total length bounds it, not padding). */
  innerOffset = 0;
  innerLength = 0;
  vni = 0;
  flowId = 0;
  /** GRE sequence number when S was set, else -1. */
  greSequence = -1;
  outerSrcIp = 0;
  outerDstIp = 0;
}

/**
 * Parses the outer headers of `b[f, f + len)` for tunnel `kind` serving `vni` on `udpPort`; fills `out`.
 * `localIp` (0 = any) is the address the frame must be sent to. `frameLength` (≥ len) is the length of
 * the whole frame when `b` holds only its first `len` bytes (enough for any outer header: 98): lengths are
 * checked against it, and `NeedWhole` comes back when a checksum over the payload has to be verified.
 * `l4Validated`: the adapter below reported the packet's transport checksum good (its receive checksum
 * info), so the UDP / GRE checksum is not verified again — a kernel that hands over an inner checksum still
 * partial (virtio NEEDS_CSUM) computed the outer one as if it were complete.
 */
export function decapsulate(b: Uint8Array, f: number, len: number, kind: OverlayKind, vni: number, udpPort: number, localIp: number, out: DecapInfo, frameLength = len, l4Validated = false): DecapResult {
  if (f < 0 || len < 0 || f + len > b.length || frameLength < len) return DecapResult.Truncated;
  if (len < ETHERNET_HEADER_LEN + 2) return DecapResult.Truncated;
  const partial = frameLength > len;
  if (read16(b, f + 12) !== EtherType.Ipv4) return DecapResult.NotOverlay;
  const ip = f + ETHERNET_HEADER_LEN;
  const avail = frameLength - ETHERNET_HEADER_LEN;
  if (len - ETHERNET_HEADER_LEN < IPV4_HEADER_LEN) return DecapResult.Truncated;
  if (b[ip]! >> 4 !== 4) return DecapResult.NotOverlay;
  const ihl = (b[ip]! & 0x0f) * 4;
  const total = read16(b, ip + Ipv4Field.TotalLength);
  if (ihl < IPV4_HEADER_LEN || total < ihl) return DecapResult.BadLength;
  if (ihl > avail || total > avail) return DecapResult.Truncated;
  // Every header below lies within the bytes at hand once the frame holds them (a partial copy holds 98).
  if (partial && ETHERNET_HEADER_LEN + ihl + 16 > len) return DecapResult.NeedWhole;
  const proto = b[ip + Ipv4Field.Protocol]!;
  const dst = read32(b, ip + Ipv4Field.DstAddr) >>> 0;
  if (localIp !== 0 && dst !== localIp) return DecapResult.NotOverlay;
  if (proto !== IpProtocol.Udp && proto !== IPPROTO_GRE) return DecapResult.NotOverlay;
  if (finishChecksum(onesComplementSum(b, ip, ihl)) !== 0) return DecapResult.BadOuterChecksum;
  if ((read16(b, ip + Ipv4Field.FlagsFragmentOffset) & (Ipv4Flag.MoreFragments | 0x1fff)) !== 0) return DecapResult.Fragment;
  const src = read32(b, ip + Ipv4Field.SrcAddr) >>> 0;
  const l4 = ip + ihl;
  const l4Len = total - ihl;
  let inner: number;
  if (proto === IpProtocol.Udp) {
    if (l4Len < UDP_HEADER_LEN) return DecapResult.Truncated;
    if (read16(b, l4 + 2) !== udpPort) return DecapResult.NotOverlay;
    if (kind !== OverlayKind.Vxlan) return DecapResult.UnknownEncapsulation;
    const udpLen = read16(b, l4 + 4);
    if (udpLen < UDP_HEADER_LEN || udpLen !== l4Len) return DecapResult.BadLength;
    const sum = read16(b, l4 + 6);
    if (sum !== 0 && !l4Validated && partial) return DecapResult.NeedWhole;
    if (sum !== 0 && !l4Validated && finishChecksum(onesComplementSum(b, l4, udpLen, ipv4PseudoHeaderSum(src, dst, IpProtocol.Udp, udpLen))) !== 0) return DecapResult.BadOuterChecksum;
    const vx = l4 + UDP_HEADER_LEN;
    const e = checkVxlanHeader(b, vx, udpLen - UDP_HEADER_LEN);
    if (e === VxlanHeaderError.Truncated) return DecapResult.Truncated;
    if (e !== VxlanHeaderError.None) return DecapResult.BadHeader;
    out.vni = vxlanVni(b, vx);
    out.flowId = 0;
    out.greSequence = -1;
    inner = vx + VXLAN_HEADER_SIZE;
  } else {
    if (l4Len < 4) return DecapResult.Truncated;
    const flags = read16(b, l4);
    if ((flags & GRE_VERSION_MASK) !== 0 || (flags & GRE_RESERVED0) !== 0) return DecapResult.BadHeader;
    const c = (flags & GRE_FLAG_C) !== 0;
    const k = (flags & GRE_FLAG_K) !== 0;
    const s = (flags & GRE_FLAG_S) !== 0;
    const hlen = 4 + (c ? 4 : 0) + (k ? 4 : 0) + (s ? 4 : 0);
    if (hlen > l4Len) return DecapResult.BadLength;
    if (read16(b, l4 + 2) !== GRE_PROTOCOL_TEB) return DecapResult.UnknownEncapsulation;
    if (kind !== OverlayKind.Nvgre) return DecapResult.UnknownEncapsulation;
    if (!k) return DecapResult.BadHeader;
    // RFC 2784 §2.5: the checksum covers the GRE header and payload (the checksum field as zero = summing over it gives 0).
    if (c && !l4Validated && partial) return DecapResult.NeedWhole;
    if (c && !l4Validated && finishChecksum(onesComplementSum(b, l4, l4Len)) !== 0) return DecapResult.BadOuterChecksum;
    let at = l4 + 4 + (c ? 4 : 0);
    const key = read32(b, at) >>> 0;
    at += 4;
    out.vni = key >>> 8;
    out.flowId = key & 0xff;
    out.greSequence = s ? read32(b, at) >>> 0 : -1;
    inner = l4 + hlen;
  }
  const innerLength = ip + total - inner;
  if (innerLength < ETHERNET_HEADER_LEN) return DecapResult.Truncated;
  if (out.vni !== vni) return DecapResult.WrongVni;
  out.kind = kind;
  out.innerOffset = inner - f;
  out.innerLength = innerLength;
  out.outerSrcIp = src;
  out.outerDstIp = dst;
  return DecapResult.Ok;
}
