/**
 * The RSS hash of a received Ethernet frame (offload digest §3.1, §3.2, §2.6): which enabled hash type
 * applies, which header fields feed the Toeplitz hash, and the NET_BUFFER_LIST hash value and hash info
 * a miniport sets. The fields are hashed where they lie in the frame (the Toeplitz hash is a XOR of
 * per-position byte contributions), so nothing is copied or allocated per frame.
 *
 * Parsing, as a NIC would:
 *   - Ethernet II, with up to two VLAN tags (802.1Q 0x8100 or 802.1ad 0x88A8) skipped: a miniport
 *     strips the tag into the 802.1Q NBL info, but the hash is the NIC's and sees the wire frame.
 *   - IPv4: options are skipped by IHL (so 4-tuple types still apply); a fragment (MF set or a nonzero
 *     offset, the first fragment included) uses the IPv4 2-tuple type only.
 *   - IPv6: Hop-by-Hop, Routing, Destination Options, Fragment and AH headers are walked (at most
 *     {@link RSS_MAX_IPV6_EXTENSION_HEADERS}); a chain that runs past the packet or is longer than that
 *     cannot be parsed, and the frame gets no hash at all (§3.1 step 1). Any other next header ends the
 *     chain as the upper-layer protocol. A Fragment header with a nonzero offset or the M flag makes the
 *     packet a fragment (2-tuple types only).
 *   - IPv6-EX types take the source from a Home Address option (type 0xC9) in a Destination Options
 *     header and the destination from a type-2 Routing header with one segment left, each falling back
 *     to the fixed header's address.
 *   - A header whose length fields contradict the frame (IHL below 5, a total length below the header)
 *     is unparseable: no hash. A transport header cut short by the end of the packet counts as absent.
 *
 * Type choice among the enabled types (the most specific one that applies): for TCP, TCP_IPV6_EX before
 * TCP_IPV6 (and TCP_IPV4), then the 2-tuple fallback; likewise UDP; otherwise IPV6_EX before IPV6 (IPV4).
 * A 4-tuple type alone never falls back (§3.1 step 4). The recorded type is the single one used.
 *
 * Input order is source address, destination address, source port, destination port, in network byte
 * order as they appear in the packet (§3.2), whatever order a table prints them in.
 */
import type { NetBufferListInfo } from '../buffers/net-buffer-list-info.js';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_IPV6_EX,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_TCP_IPV6_EX,
  NDIS_HASH_TYPE_MASK,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_HASH_UDP_IPV6_EX,
  NdisHashFunctionToeplitz,
  rssHashFuncFromHashInfo,
  rssHashTypeFromHashInfo,
} from '../nbl-info-bits.js';
import { ToeplitzHasher, toeplitzHasherFor } from './toeplitz.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const MAX_VLAN_TAGS = 2;

const IPPROTO_HOPOPTS = 0;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_AH = 51;
const IPPROTO_DSTOPTS = 60;
const IPPROTO_GRE = 47;
/** NVGRE's GRE protocol type (Transparent Ethernet Bridging) and the flag bits RFC 2784/2890 allow (C, K, S). */
const GRE_PROTOCOL_TEB = 0x6558;
const GRE_KNOWN_FLAGS = 0xb000;
const FOUR_TUPLE_TYPES = NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6 | NDIS_HASH_TCP_IPV6_EX | NDIS_HASH_UDP_IPV6_EX;
/** Home Address destination option (RFC 6275 §6.3), 16 bytes of data. */
const IP6OPT_HOME_ADDRESS = 0xc9;

/** Longest IPv6 extension-header chain the hash walks; a longer one is treated as unparseable (no hash). */
export const RSS_MAX_IPV6_EXTENSION_HEADERS = 8;

/** Every NDIS_HASH_* type the hash understands. */
export const NDIS_HASH_TYPES_ALL =
  NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6 | NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX | NDIS_HASH_UDP_IPV6_EX;

/** What NDIS records in a NET_BUFFER_LIST for a hashed frame. */
export interface RssHashResult {
  /** NetBufferListHashValue: the 32-bit Toeplitz hash. */
  readonly hashValue: number;
  /** NetBufferListHashInfo: hashType | hashFunction (NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC). */
  readonly hashInfo: number;
  /** The single NDIS_HASH_* type used. */
  readonly hashType: number;
  /** The hash function: NdisHashFunctionToeplitz. */
  readonly hashFunction: number;
}

/**
 * A receive path's RSS hash under one key and one set of enabled hash types: {@link RssHasher.hash} per
 * frame, allocation-free. Changing `hashTypes` takes effect on the next frame; a new key needs a new
 * {@link ToeplitzHasher} (`toeplitz`), built off the data path.
 */
export class RssHasher {
  toeplitz: ToeplitzHasher;
  /** Enabled NDIS_HASH_* types (function bits of a whole HashInformation value are ignored). */
  hashTypes: number;
  /** The hash value of the last {@link RssHasher.hash}, 0 when it found no hash. */
  hashValue = 0;
  /**
   * Encapsulated-packet offload with RSS (§3.5, §6.6): NVGRE frames (`nvgre`) and VXLAN frames to
   * `vxlanPort` (0: off) are hashed on the inner IP + TCP/UDP 4-tuple; when the inner frame cannot be
   * parsed or has no TCP/UDP, on the outer 2-tuple (never the outer UDP ports of VXLAN).
   */
  nvgre = false;
  vxlanPort = 0;
  #inner = false;

  constructor(key: Uint8Array | ToeplitzHasher, hashTypes: number) {
    this.toeplitz = key instanceof ToeplitzHasher ? key : new ToeplitzHasher(key);
    this.hashTypes = hashTypes;
  }

  /**
   * Hashes the Ethernet frame in `length` bytes of `frame` from `offset`. Returns the hash info
   * (type | NdisHashFunctionToeplitz), or 0 when no enabled type applies or the frame cannot be parsed;
   * the value is left in `hashValue`.
   */
  hash(frame: Uint8Array, offset = 0, length = frame.length - offset): number {
    this.hashValue = 0;
    const end = offset + Math.max(0, Math.min(length, frame.length - offset));
    return this.#ethernet(frame, offset, end, this.hashTypes & NDIS_HASH_TYPE_MASK);
  }

  #ethernet(frame: Uint8Array, offset: number, end: number, types: number): number {
    let at = offset + 12;
    if (at + 2 > end) return 0;
    let etherType = (frame[at]! << 8) | frame[at + 1]!;
    for (let tags = 0; (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ) && tags < MAX_VLAN_TAGS; tags++) {
      at += 4;
      if (at + 2 > end) return 0;
      etherType = (frame[at]! << 8) | frame[at + 1]!;
    }
    if (etherType === ETHERTYPE_IPV4) return this.#ipv4(frame, at + 2, end, types);
    if (etherType === ETHERTYPE_IPV6) return this.#ipv6(frame, at + 2, end, types);
    return 0;
  }

  /** Hashes the frame and sets the NBL's hash value and hash info (both 0 when there is no hash). Returns the hash info. */
  setNetBufferListHash(info: NetBufferListInfo, frame: Uint8Array, offset = 0, length = frame.length - offset): number {
    const hashInfo = this.hash(frame, offset, length);
    info.hashValue = this.hashValue;
    info.hashInfo = hashInfo;
    return hashInfo;
  }

  #ipv4(f: Uint8Array, l3: number, end: number, types: number): number {
    if (l3 + 20 > end || f[l3]! >>> 4 !== 4) return 0;
    const ihl = (f[l3]! & 0x0f) * 4;
    const total = (f[l3 + 2]! << 8) | f[l3 + 3]!;
    if (ihl < 20 || total < ihl || l3 + ihl > end) return 0;
    const ipEnd = Math.min(end, l3 + total);
    const fragment = (((f[l3 + 6]! << 8) | f[l3 + 7]!) & 0x3fff) !== 0;
    const l4 = l3 + ihl;
    if (!fragment && l4 + 4 <= ipEnd) {
      const protocol = f[l3 + 9]!;
      const inner = this.#encapsulated(f, protocol, l4, ipEnd, types);
      if (inner > 0) return inner;
      if (inner === 0) return (types & NDIS_HASH_IPV4) !== 0 ? this.#done(this.#addresses(f, l3 + 12, 4, l3 + 16), NDIS_HASH_IPV4) : 0;
      const four = protocol === IPPROTO_TCP ? NDIS_HASH_TCP_IPV4 : protocol === IPPROTO_UDP ? NDIS_HASH_UDP_IPV4 : 0;
      if ((types & four) !== 0) return this.#done(this.#addresses(f, l3 + 12, 4, l3 + 16) ^ this.#ports(f, 8, l4), four);
    }
    if ((types & NDIS_HASH_IPV4) !== 0) return this.#done(this.#addresses(f, l3 + 12, 4, l3 + 16), NDIS_HASH_IPV4);
    return 0;
  }

  #ipv6(f: Uint8Array, l3: number, end: number, types: number): number {
    if (l3 + 40 > end || f[l3]! >>> 4 !== 6) return 0;
    const payloadLength = (f[l3 + 4]! << 8) | f[l3 + 5]!;
    // Payload length 0 is a jumbogram (its length is in a Hop-by-Hop option): read to the frame's end.
    const ipEnd = payloadLength === 0 ? end : Math.min(end, l3 + 40 + payloadLength);
    const src = l3 + 8;
    const dst = l3 + 24;
    let home = src;
    let routed = dst;
    let fragment = false;
    let next = f[l3 + 6]!;
    let at = l3 + 40;
    for (let n = 0; ; n++) {
      let length: number;
      if (next === IPPROTO_HOPOPTS || next === IPPROTO_DSTOPTS || next === IPPROTO_ROUTING) {
        if (at + 2 > ipEnd) return 0;
        length = (f[at + 1]! + 1) * 8;
      } else if (next === IPPROTO_FRAGMENT) {
        length = 8;
      } else if (next === IPPROTO_AH) {
        if (at + 2 > ipEnd) return 0;
        length = (f[at + 1]! + 2) * 4;
      } else {
        break;
      }
      if (n === RSS_MAX_IPV6_EXTENSION_HEADERS || at + length > ipEnd) return 0;
      if (next === IPPROTO_DSTOPTS && home === src) home = homeAddressOption(f, at + 2, at + length, src);
      else if (next === IPPROTO_ROUTING && f[at + 2] === 2 && length === 24 && f[at + 3] === 1) routed = at + 8;
      else if (next === IPPROTO_FRAGMENT && (((f[at + 2]! << 8) | f[at + 3]!) & 0xfff9) !== 0) fragment = true;
      next = f[at]!;
      at += length;
    }
    if (!fragment && at + 4 <= ipEnd) {
      const inner = this.#encapsulated(f, next, at, ipEnd, types);
      if (inner > 0) return inner;
      if (inner === 0) return (types & NDIS_HASH_IPV6) !== 0 ? this.#done(this.#addresses(f, src, 16, dst), NDIS_HASH_IPV6) : 0;
      const tcp = next === IPPROTO_TCP;
      if (tcp || next === IPPROTO_UDP) {
        const ex = tcp ? NDIS_HASH_TCP_IPV6_EX : NDIS_HASH_UDP_IPV6_EX;
        if ((types & ex) !== 0) return this.#done(this.#addresses(f, home, 16, routed) ^ this.#ports(f, 32, at), ex);
        const plain = tcp ? NDIS_HASH_TCP_IPV6 : NDIS_HASH_UDP_IPV6;
        if ((types & plain) !== 0) return this.#done(this.#addresses(f, src, 16, dst) ^ this.#ports(f, 32, at), plain);
      }
    }
    if ((types & NDIS_HASH_IPV6_EX) !== 0) return this.#done(this.#addresses(f, home, 16, routed), NDIS_HASH_IPV6_EX);
    if ((types & NDIS_HASH_IPV6) !== 0) return this.#done(this.#addresses(f, src, 16, dst), NDIS_HASH_IPV6);
    return 0;
  }

  /**
   * -1: not an NVGRE / VXLAN frame this hasher looks into; otherwise the hash info of the inner 4-tuple,
   * or 0 when the inner frame gives none (the caller then uses the outer 2-tuple).
   */
  #encapsulated(f: Uint8Array, protocol: number, l4: number, end: number, types: number): number {
    if (this.#inner) return -1;
    let inner = -1;
    if (protocol === IPPROTO_GRE && this.nvgre && l4 + 4 <= end && ((f[l4 + 2]! << 8) | f[l4 + 3]!) === GRE_PROTOCOL_TEB) {
      const flags = (f[l4]! << 8) | f[l4 + 1]!;
      if ((flags & ~GRE_KNOWN_FLAGS) !== 0) return -1;
      inner = l4 + 4 + ((flags & 0x8000) !== 0 ? 4 : 0) + ((flags & 0x2000) !== 0 ? 4 : 0) + ((flags & 0x1000) !== 0 ? 4 : 0);
    } else if (protocol === IPPROTO_UDP && this.vxlanPort !== 0 && l4 + 16 <= end && ((f[l4 + 2]! << 8) | f[l4 + 3]!) === this.vxlanPort && (f[l4 + 8]! & 0x08) !== 0) {
      inner = l4 + 16;
    } else {
      return -1;
    }
    // The inner frame with the 4-tuple types only: no inner 4-tuple → 0 → the outer 2-tuple.
    this.#inner = true;
    const r = inner < end ? this.#ethernet(f, inner, end, types & FOUR_TUPLE_TYPES) : 0;
    this.#inner = false;
    return r;
  }

  // The tables cover every position below RSS_MAX_HASH_INPUT (36), so these index them directly.

  /** Contribution of source ‖ destination (`size` bytes each) at input positions 0 … 2·size − 1. */
  #addresses(f: Uint8Array, src: number, size: number, dst: number): number {
    const t = this.toeplitz.table;
    const d = size << 8;
    let h = 0;
    for (let i = 0; i < size; i++) h ^= t[(i << 8) | f[src + i]!]! ^ t[(d + (i << 8)) | f[dst + i]!]!;
    return h;
  }

  /** Contribution of the four port bytes at `l4` from input position `position` on. */
  #ports(f: Uint8Array, position: number, l4: number): number {
    const t = this.toeplitz.table;
    const p = position << 8;
    return t[p | f[l4]!]! ^ t[(p + 256) | f[l4 + 1]!]! ^ t[(p + 512) | f[l4 + 2]!]! ^ t[(p + 768) | f[l4 + 3]!]!;
  }

  #done(hash: number, hashType: number): number {
    this.hashValue = hash >>> 0;
    return (hashType | NdisHashFunctionToeplitz) >>> 0;
  }
}

/** The offset of a Home Address option's address among the options in [from, to), else `fallback`. */
function homeAddressOption(f: Uint8Array, from: number, to: number, fallback: number): number {
  let o = from;
  while (o < to) {
    const type = f[o]!;
    if (type === 0) {
      o++; // Pad1 has no length byte
      continue;
    }
    if (o + 2 > to) break;
    const length = f[o + 1]!;
    if (type === IP6OPT_HOME_ADDRESS && length === 16 && o + 18 <= to) return o + 2;
    o += 2 + length;
  }
  return fallback;
}

let shared: RssHasher | null = null;

/**
 * The RSS hash of one Ethernet frame under `key` with the NDIS_HASH_* types in `hashTypes` enabled (a
 * whole HashInformation value also works: its function bits are ignored). Returns what a miniport
 * records in the NET_BUFFER_LIST, or null when no enabled type applies or the frame cannot be parsed
 * (the NBL's hash info then stays 0). Reuses its Toeplitz tables while the key's bytes stay the same; a
 * receive path keeps an {@link RssHasher} instead, which allocates nothing per frame.
 */
export function rssHash(frame: Uint8Array, hashTypes: number, key: Uint8Array): RssHashResult | null {
  const toeplitz = toeplitzHasherFor(key);
  if (shared === null) shared = new RssHasher(toeplitz, hashTypes);
  shared.toeplitz = toeplitz;
  shared.hashTypes = hashTypes;
  const hashInfo = shared.hash(frame);
  if (hashInfo === 0) return null;
  return { hashValue: shared.hashValue, hashInfo, hashType: rssHashTypeFromHashInfo(hashInfo), hashFunction: rssHashFuncFromHashInfo(hashInfo) };
}
