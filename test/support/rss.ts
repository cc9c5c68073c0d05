/**
 * RSS test material: Microsoft's verification key and vectors (offload digest §3.3, written as
 * source/destination so the hash input order is explicit), an independent bit-by-bit Toeplitz reference,
 * byte-exact frame builders (TCP and UDP over IPv4 and IPv6, VLAN tags, IPv4 options and fragments,
 * IPv6 extension headers), and fast-check arbitraries for the RSS structures.
 */
import fc from 'fast-check';
import { ipv6 } from '../../src/wire/address.js';
import type { GroupAffinity, NdisReceiveScaleCapabilities, NdisReceiveScaleParameters, ProcessorNumber } from '../../src/ndis/rss/receive-scale.js';
import {
  NDIS_RSS_PARAM_FLAG_DISABLE_RSS,
  NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED,
} from '../../src/ndis/rss/receive-scale.js';
import { checksum, ethernet, ip4, ipv4, mac, udp } from './frames.js';
import { tcp4Frame, tcp6Frame } from './offload-frames.js';

/** The 40-byte verification key. */
export const MS_KEY = Uint8Array.of(
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
);

export interface RssVector {
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
  /** Hash of the addresses only. */
  readonly twoTuple: number;
  /** Hash of addresses and ports (TCP; UDP uses the same input). */
  readonly fourTuple: number;
}

export const IPV4_VECTORS: readonly RssVector[] = [
  { src: '66.9.149.187', sport: 2794, dst: '161.142.100.80', dport: 1766, twoTuple: 0x323e8fc2, fourTuple: 0x51ccc178 },
  { src: '199.92.111.2', sport: 14230, dst: '65.69.140.83', dport: 4739, twoTuple: 0xd718262a, fourTuple: 0xc626b0ea },
  { src: '24.19.198.95', sport: 12898, dst: '12.22.207.184', dport: 38024, twoTuple: 0xd2d0a5de, fourTuple: 0x5c2b394a },
  { src: '38.27.205.30', sport: 48228, dst: '209.142.163.6', dport: 2217, twoTuple: 0x82989176, fourTuple: 0xafc7327f },
  { src: '153.39.163.191', sport: 44251, dst: '202.188.127.2', dport: 1303, twoTuple: 0x5d1809c5, fourTuple: 0x10e828a2 },
];

export const IPV6_VECTORS: readonly RssVector[] = [
  { src: '3ffe:2501:200:1fff::7', sport: 2794, dst: '3ffe:2501:200:3::1', dport: 1766, twoTuple: 0x2cc18cd5, fourTuple: 0x40207d3d },
  { src: '3ffe:501:8::260:97ff:fe40:efab', sport: 14230, dst: 'ff02::1', dport: 4739, twoTuple: 0x0f0c461c, fourTuple: 0xdde51bbf },
  { src: '3ffe:1900:4545:3:200:f8ff:fe21:67cf', sport: 44251, dst: 'fe80::200:f8ff:fe21:67cf', dport: 38024, twoTuple: 0x4b61e985, fourTuple: 0x02d1feef },
];

function be16(v: number): Uint8Array {
  return Uint8Array.of(v >> 8, v & 0xff);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The hash input of a vector: source ‖ destination (‖ source port ‖ destination port). */
export function vectorInput(v: RssVector, ports: boolean): Uint8Array {
  const a = v.src.includes(':') ? [ipv6(v.src), ipv6(v.dst)] : [ip4(v.src), ip4(v.dst)];
  return ports ? concat(a[0]!, a[1]!, be16(v.sport), be16(v.dport)) : concat(a[0]!, a[1]!);
}

/**
 * The Toeplitz hash exactly as §3.2 states it, on a BigInt register of the whole key: for each input
 * bit, most significant first, XOR the register's leftmost 32 bits when the bit is 1, then shift the
 * register left by one (zeros come in on the right).
 */
export function referenceToeplitz(key: Uint8Array, input: Uint8Array): number {
  const bits = BigInt(key.length * 8);
  const all = (1n << bits) - 1n;
  let k = 0n;
  for (const b of key) k = (k << 8n) | BigInt(b);
  let result = 0n;
  for (const byte of input) {
    for (let i = 7; i >= 0; i--) {
      if ((byte >> i) & 1) result ^= bits >= 32n ? (k >> (bits - 32n)) & 0xffffffffn : (k << (32n - bits)) & 0xffffffffn;
      k = (k << 1n) & all;
    }
  }
  return Number(result);
}

const SRC_MAC = mac('02:00:00:00:00:01');
const DST_MAC = mac('02:00:00:00:00:02');

export interface FrameOptions {
  /** VLAN tags to insert after the MAC addresses, outermost first (TPIDs 0x8100 or 0x88a8). */
  readonly vlanTpids?: readonly number[];
}

function tagged(frame: Uint8Array, options: FrameOptions): Uint8Array {
  const tpids = options.vlanTpids ?? [];
  if (tpids.length === 0) return frame;
  const tags = concat(...tpids.map((t, i) => concat(be16(t), be16(100 + i))));
  return concat(frame.subarray(0, 12), tags, frame.subarray(12));
}

/** A TCP/IPv4 frame of the vector's flow with correct checksums (offload-frames' builder). */
export function tcp4VectorFrame(v: RssVector, options: FrameOptions = {}): Uint8Array {
  const f = tcp4Frame({ srcMac: SRC_MAC, dstMac: DST_MAC, src: ip4(v.src), dst: ip4(v.dst), sport: v.sport, dport: v.dport, seq: 1, ack: 0, flags: 2, payload: Uint8Array.of(1, 2, 3) });
  return tagged(f, options);
}

/** A UDP/IPv4 frame of the vector's flow with correct checksums. */
export function udp4VectorFrame(v: RssVector, options: FrameOptions = {}): Uint8Array {
  const src = ip4(v.src);
  const dst = ip4(v.dst);
  return tagged(ethernet(DST_MAC, SRC_MAC, 0x0800, ipv4(src, dst, 17, udp(src, dst, v.sport, v.dport, Uint8Array.of(9, 9)))), options);
}

/** A TCP/IPv6 frame of the vector's flow with a correct checksum. */
export function tcp6VectorFrame(v: RssVector, options: FrameOptions = {}): Uint8Array {
  const f = tcp6Frame({ srcMac: SRC_MAC, dstMac: DST_MAC, src: ipv6(v.src), dst: ipv6(v.dst), sport: v.sport, dport: v.dport, seq: 1, ack: 0, flags: 2 });
  return tagged(f, options);
}

/** An IPv4 packet with arbitrary options, fragment field and protocol, in an Ethernet frame; header checksum correct. */
export function ipv4Frame(src: string, dst: string, protocol: number, l4: Uint8Array, opts: { options?: Uint8Array; fragment?: number } = {}): Uint8Array {
  const options = opts.options ?? new Uint8Array(0);
  const ihl = 20 + options.length;
  const h = new Uint8Array(ihl + l4.length);
  const total = h.length;
  h.set([0x40 | (ihl / 4), 0, total >> 8, total & 0xff, 0x12, 0x34, (opts.fragment ?? 0x4000) >> 8, (opts.fragment ?? 0x4000) & 0xff, 64, protocol, 0, 0]);
  h.set(ip4(src), 12);
  h.set(ip4(dst), 16);
  h.set(options, 20);
  const c = checksum(h, 0, ihl);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  h.set(l4, ihl);
  return ethernet(DST_MAC, SRC_MAC, 0x0800, h);
}

/** The first bytes of a transport header: ports, then zeros up to `length` (20 for TCP, 8 for UDP). */
export function ports(sport: number, dport: number, length: number): Uint8Array {
  const t = new Uint8Array(length);
  t.set(be16(sport), 0);
  t.set(be16(dport), 2);
  return t;
}

/** One IPv6 extension header: its protocol number and its bytes (the Next Header byte is filled in by ipv6Frame). */
export interface ExtensionHeader {
  readonly protocol: number;
  readonly bytes: Uint8Array;
}

/** A Destination Options header carrying a Home Address option (preceded by a PadN so the address is 8-aligned). */
export function homeAddressHeader(home: string): ExtensionHeader {
  // next, len = 2 (24 bytes); PadN(2 bytes of data); option 0xC9, 16, address
  const b = new Uint8Array(24);
  b.set([0, 2, 1, 2, 0, 0, 0xc9, 16], 0);
  b.set(ipv6(home), 8);
  return { protocol: 60, bytes: b };
}

/** A type-2 Routing header (one segment left) carrying `address`. */
export function routingType2Header(address: string): ExtensionHeader {
  const b = new Uint8Array(24);
  b.set([0, 2, 2, 1], 0);
  b.set(ipv6(address), 8);
  return { protocol: 43, bytes: b };
}

/** A Fragment header: offset in 8-byte units, M flag. */
export function fragmentHeader(offset: number, more: boolean): ExtensionHeader {
  const v = (offset << 3) | (more ? 1 : 0);
  return { protocol: 44, bytes: Uint8Array.of(0, 0, v >> 8, v & 0xff, 0, 0, 0x12, 0x34) };
}

/** A Hop-by-Hop or Destination Options header of `length` bytes (a multiple of 8) holding only padding. */
export function paddingHeader(protocol: 0 | 60, length = 8): ExtensionHeader {
  const b = new Uint8Array(length);
  b[1] = length / 8 - 1;
  b[2] = 1; // PadN
  b[3] = length - 4;
  return { protocol, bytes: b };
}

/** An IPv6 packet with extension headers and an upper-layer payload, in an Ethernet frame. */
export function ipv6Frame(src: string, dst: string, headers: readonly ExtensionHeader[], upper: number, payload: Uint8Array, opts: FrameOptions & { payloadLength?: number } = {}): Uint8Array {
  const chain = headers.map((h, i) => {
    const b = h.bytes.slice();
    b[0] = i + 1 < headers.length ? headers[i + 1]!.protocol : upper;
    return b;
  });
  const body = concat(...chain, payload);
  const ip = new Uint8Array(40);
  ip[0] = 0x60;
  ip.set(be16(opts.payloadLength ?? body.length), 4);
  ip[6] = headers.length > 0 ? headers[0]!.protocol : upper;
  ip[7] = 64;
  ip.set(ipv6(src), 8);
  ip.set(ipv6(dst), 24);
  return tagged(ethernet(DST_MAC, SRC_MAC, 0x86dd, concat(ip, body)), opts);
}

// ======================================================================================================
// Arbitraries
// ======================================================================================================

const ulong = fc.integer({ min: 0, max: 0xffffffff });

export const arbitraryRssCapabilities: fc.Arbitrary<NdisReceiveScaleCapabilities> = fc.record(
  { capabilitiesFlags: ulong, numberOfInterruptMessages: ulong, numberOfReceiveQueues: ulong, numberOfIndirectionTableEntries: fc.integer({ min: 0, max: 0xffff }) },
  { noNullPrototype: true },
);

const processor: fc.Arbitrary<ProcessorNumber> = fc.record({ group: fc.integer({ min: 0, max: 0xffff }), number: fc.integer({ min: 0, max: 0xff }) }, { noNullPrototype: true });
const cchar: fc.Arbitrary<ProcessorNumber> = fc.record({ group: fc.constant(0), number: fc.integer({ min: 0, max: 127 }) }, { noNullPrototype: true });
const mask: fc.Arbitrary<GroupAffinity> = fc.record({ mask: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), group: fc.integer({ min: 0, max: 0xffff }) }, { noNullPrototype: true });

/**
 * Any NDIS_RECEIVE_SCALE_PARAMETERS the codec round-trips: the parts the flags tell a miniport to ignore
 * are empty (decode does not read them), revision 1 has CCHAR entries and no masks, revisions below 3
 * no default processor.
 */
export const arbitraryRssParameters: fc.Arbitrary<NdisReceiveScaleParameters> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), ulong)
  .chain(([revision, flags, baseCpuNumber, hashInformation]) => {
    const disable = (flags & NDIS_RSS_PARAM_FLAG_DISABLE_RSS) !== 0;
    const table = !disable && (flags & NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED) === 0;
    const key = !disable && (flags & NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED) === 0;
    return fc.record(
      {
        revision: fc.constant(revision),
        flags: fc.constant(flags),
        baseCpuNumber: fc.constant(baseCpuNumber),
        hashInformation: fc.constant(hashInformation),
        indirectionTable: table ? fc.array(revision === 1 ? cchar : processor, { maxLength: 130 }) : fc.constant([]),
        hashSecretKey: key ? fc.uint8Array({ maxLength: 48 }) : fc.constant(new Uint8Array(0)),
        processorMasks: table && revision >= 2 ? fc.array(mask, { maxLength: 3 }) : fc.constant([]),
        defaultProcessorNumber: revision === 3 ? processor : fc.constant({ group: 0, number: 0 }),
      },
      { noNullPrototype: true },
    );
  });
