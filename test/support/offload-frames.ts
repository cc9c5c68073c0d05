/**
 * Frames in the forms an NDIS protocol hands down for task offload (offload digest §2.2, §2.4), built
 * from complete, correct frames:
 *   - checksum offload: the transport checksum field holds the pseudo-header sum *with* the length
 *     (not complemented); with IP header checksum offload the IPv4 checksum is zero;
 *   - LSOv2: IPv4 total length (IPv6 payload length) zero, and the TCP field holds the pseudo-header
 *     sum *without* the length.
 * Also a TCP/IPv4 frame builder for scripted handshakes. Ethernet II, no VLAN tag.
 */
import { checksum, ethernet, ipv4 } from './frames.js';

const ETH = 14;

/** One's-complement sum of 16-bit words, folded (not complemented). */
function sum16(b: Uint8Array, start: number, end: number, initial = 0): number {
  let s = initial;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) % 2 === 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >> 8;
  b[o + 1] = v & 0xff;
}

function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** IPv4 pseudo-header sum over the frame's addresses, `protocol` and `length` (0 = leave the length out). */
function pseudo4(f: Uint8Array, protocol: number, length: number): number {
  const ip = ETH;
  let s = protocol + length;
  for (let i = 12; i < 20; i += 2) s += get16(f, ip + i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export interface TcpSegment {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** TCP flag bits: FIN 1, SYN 2, RST 4, PSH 8, ACK 16. */
  flags: number;
  window?: number;
  /** Raw option bytes (a multiple of 4). */
  options?: Uint8Array;
  payload?: Uint8Array;
  id?: number;
}

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;

/** The MSS option (kind 2) followed by nothing else. */
export function mssOption(mss: number): Uint8Array {
  return Uint8Array.of(2, 4, mss >> 8, mss & 0xff);
}

/** A complete TCP/IPv4 frame with correct checksums. */
export function tcp4Frame(s: TcpSegment): Uint8Array {
  const options = s.options ?? new Uint8Array(0);
  const payload = s.payload ?? new Uint8Array(0);
  const thl = 20 + options.length;
  const t = new Uint8Array(thl + payload.length);
  put16(t, 0, s.sport);
  put16(t, 2, s.dport);
  new DataView(t.buffer).setUint32(4, s.seq >>> 0);
  new DataView(t.buffer).setUint32(8, s.ack >>> 0);
  t[12] = (thl / 4) << 4;
  t[13] = s.flags;
  put16(t, 14, s.window ?? 65535);
  t.set(options, 20);
  t.set(payload, thl);
  const frame = ethernet(s.dstMac, s.srcMac, 0x0800, ipv4(s.src, s.dst, 6, t, s.id ?? 1));
  const c = ~sum16(frame, ETH + 20, frame.length, pseudo4(frame, 6, t.length)) & 0xffff;
  put16(frame, ETH + 20 + 16, c);
  return frame;
}

/** Where the transport header starts in a frame built here (no IP options). */
export const L4_OFFSET = ETH + 20;

/**
 * The checksum-offload form of a complete TCP or UDP over IPv4 frame: transport checksum = pseudo-header
 * sum with the length; with `ipHeader`, the IPv4 header checksum zeroed too.
 */
export function checksumOffloadForm(frame: Uint8Array, ipHeader: boolean): Uint8Array {
  const f = frame.slice();
  const protocol = f[ETH + 9]!;
  const l4 = ETH + (f[ETH]! & 0x0f) * 4;
  const len = f.length - l4;
  put16(f, l4 + (protocol === 6 ? 16 : 6), pseudo4(f, protocol, len));
  if (ipHeader) put16(f, ETH + 10, 0);
  return f;
}

/** The LSOv2 form of a large TCP/IPv4 frame: total length 0, header checksum 0, seed without the length. */
export function lsoV2Form(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  const l4 = ETH + (f[ETH]! & 0x0f) * 4;
  put16(f, ETH + 2, 0);
  put16(f, ETH + 10, 0);
  put16(f, l4 + 16, pseudo4(f, 6, 0));
  return f;
}

/** True when the IPv4 header checksum and the TCP/UDP checksum of a complete frame are right. */
export function checksumsValid(frame: Uint8Array): boolean {
  const ihl = (frame[ETH]! & 0x0f) * 4;
  if (checksum(frame, ETH, ETH + ihl) !== 0) return false;
  const protocol = frame[ETH + 9]!;
  const l4 = ETH + ihl;
  const total = get16(frame, ETH + 2);
  const end = ETH + total;
  return (~sum16(frame, l4, end, pseudo4(frame, protocol, end - l4)) & 0xffff) === 0;
}

export interface ParsedTcp {
  src: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payload: Uint8Array;
  /** MSS option, when present. */
  mss: number | null;
}

/** Reads a TCP/IPv4 frame (null for anything else). */
export function parseTcp4(f: Uint8Array): ParsedTcp | null {
  if (f.length < ETH + 40 || get16(f, 12) !== 0x0800 || f[ETH + 9] !== 6) return null;
  const ihl = (f[ETH]! & 0x0f) * 4;
  const l4 = ETH + ihl;
  const total = get16(f, ETH + 2);
  const thl = (f[l4 + 12]! >> 4) * 4;
  const dv = new DataView(f.buffer, f.byteOffset);
  let mss: number | null = null;
  for (let o = l4 + 20; o < l4 + thl; ) {
    const kind = f[o]!;
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    if (kind === 2) mss = get16(f, o + 2);
    o += Math.max(2, f[o + 1]!);
  }
  return {
    src: `${f[ETH + 12]}.${f[ETH + 13]}.${f[ETH + 14]}.${f[ETH + 15]}`,
    sport: get16(f, l4),
    dport: get16(f, l4 + 2),
    seq: dv.getUint32(l4 + 4),
    ack: dv.getUint32(l4 + 8),
    flags: f[l4 + 13]!,
    window: get16(f, l4 + 14),
    payload: f.slice(l4 + thl, ETH + total),
    mss,
  };
}

export interface Tcp6Segment extends Omit<TcpSegment, 'src' | 'dst' | 'id'> {
  /** 16-byte addresses. */
  src: Uint8Array;
  dst: Uint8Array;
  hopLimit?: number;
}

/** A complete TCP/IPv6 frame with a correct checksum (no extension headers). */
export function tcp6Frame(s: Tcp6Segment): Uint8Array {
  const options = s.options ?? new Uint8Array(0);
  const payload = s.payload ?? new Uint8Array(0);
  const thl = 20 + options.length;
  const f = new Uint8Array(ETH + 40 + thl + payload.length);
  f.set(s.dstMac, 0);
  f.set(s.srcMac, 6);
  put16(f, 12, 0x86dd);
  const ip = ETH;
  f[ip] = 0x60;
  put16(f, ip + 4, thl + payload.length);
  f[ip + 6] = 6;
  f[ip + 7] = s.hopLimit ?? 64;
  f.set(s.src, ip + 8);
  f.set(s.dst, ip + 24);
  const t = ip + 40;
  put16(f, t, s.sport);
  put16(f, t + 2, s.dport);
  const dv = new DataView(f.buffer);
  dv.setUint32(t + 4, s.seq >>> 0);
  dv.setUint32(t + 8, s.ack >>> 0);
  f[t + 12] = (thl / 4) << 4;
  f[t + 13] = s.flags;
  put16(f, t + 14, s.window ?? 65535);
  f.set(options, t + 20);
  f.set(payload, t + thl);
  let p = 6 + thl + payload.length;
  for (let i = 8; i < 40; i += 2) p += get16(f, ip + i);
  const c = ~sum16(f, t, f.length, p) & 0xffff;
  put16(f, t + 16, c);
  return f;
}

/** The LSOv2 form of a large TCP/IPv6 frame: payload length 0, seed without the length. */
export function lsoV2Form6(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  put16(f, ETH + 4, 0);
  let p = 6;
  for (let i = 8; i < 40; i += 2) p += get16(f, ETH + i);
  while (p > 0xffff) p = (p & 0xffff) + (p >>> 16);
  put16(f, ETH + 40 + 16, p);
  return f;
}
