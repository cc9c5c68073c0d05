/**
 * Frames for the offload conformance battery (offload-conformance.ts), built independently of the
 * drivers under test: complete, correct Ethernet II + IPv4 (optional options) / IPv6 + TCP (optional
 * options) / UDP frames, and the forms a protocol hands down for offload (offload digest §2.2, §2.4):
 *   - checksum offload: the transport checksum field holds the pseudo-header sum *with* the length (not
 *     complemented); with IP header checksum offload the IPv4 header checksum is zero;
 *   - LSOv2: IPv4 total length (IPv6 payload length) 0, the TCP field the pseudo-header sum *without*
 *     the length; LSOv1: the IPv4 total length of the whole large packet, the same TCP seed;
 *   - USO: the UDP length and checksum seed left as for LSO (the miniport fills them per datagram).
 * Every probe frame carries its probe id in the transport source port, so the battery tells its own
 * frames (and segments) apart from anything else on the wire.
 */
import { foldChecksum, onesComplementSum } from '../wire/checksum.js';

export const ETH_LEN = 14;
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
/** Source ports of probe frames: PROBE_PORT_BASE + probe id. */
export const PROBE_PORT_BASE = 0x6000;
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_CWR = 0x80;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export interface ProbeFrameSpec {
  readonly ip: 4 | 6;
  readonly l4: 'tcp' | 'udp';
  readonly id: number;
  readonly payload: Uint8Array;
  readonly srcMac?: Uint8Array;
  readonly dstMac?: Uint8Array;
  /** IPv4 identification / IPv6 flow label. */
  readonly ipId?: number;
  readonly ttl?: number;
  /** IPv4 options (a multiple of 4 bytes). */
  readonly ipOptions?: Uint8Array;
  readonly seq?: number;
  readonly ack?: number;
  readonly flags?: number;
  readonly window?: number;
  /** TCP options (a multiple of 4 bytes). */
  readonly tcpOptions?: Uint8Array;
  /** Destination port (default 9). */
  readonly dport?: number;
}

/** Where the parts of a probe frame are. */
export interface ProbeLayout {
  readonly ip: number;
  readonly ipHeaderLength: number;
  readonly l4: number;
  readonly l4HeaderLength: number;
  readonly payload: number;
}

export function probeLayout(s: ProbeFrameSpec): ProbeLayout {
  const ihl = s.ip === 4 ? 20 + (s.ipOptions?.length ?? 0) : 40;
  const thl = s.l4 === 'tcp' ? 20 + (s.tcpOptions?.length ?? 0) : 8;
  return { ip: ETH_LEN, ipHeaderLength: ihl, l4: ETH_LEN + ihl, l4HeaderLength: thl, payload: ETH_LEN + ihl + thl };
}

export function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** The pseudo-header sum of the frame's IP header for `proto` and `length` (0: leave the length out), folded. */
export function pseudoSum(f: Uint8Array, ipVersion: 4 | 6, proto: number, length: number): number {
  const ip = ETH_LEN;
  let s = proto + length;
  if (ipVersion === 4) s += onesComplementSum(f, ip + 12, 8);
  else s += onesComplementSum(f, ip + 8, 32);
  return foldChecksum(s);
}

/** A complete, correct frame. */
export function probeFrame(s: ProbeFrameSpec): Uint8Array {
  const L = probeLayout(s);
  const f = new Uint8Array(L.payload + s.payload.length);
  f.set(s.dstMac ?? BROADCAST, 0);
  f.set(s.srcMac ?? [0x02, 0x6f, 0x66, 0x6c, 0x00, 0x01], 6);
  put16(f, 12, s.ip === 4 ? 0x0800 : 0x86dd);
  const ip = L.ip;
  const l4len = L.l4HeaderLength + s.payload.length;
  const proto = s.l4 === 'tcp' ? PROTO_TCP : PROTO_UDP;
  if (s.ip === 4) {
    f[ip] = 0x40 | (L.ipHeaderLength / 4);
    put16(f, ip + 2, L.ipHeaderLength + l4len);
    put16(f, ip + 4, s.ipId ?? 1);
    put16(f, ip + 6, 0x4000); // DF
    f[ip + 8] = s.ttl ?? 64;
    f[ip + 9] = proto;
    f.set([198, 51, 100, 1, 198, 51, 100, 2], ip + 12);
    if (s.ipOptions !== undefined) f.set(s.ipOptions, ip + 20);
    put16(f, ip + 10, (~onesComplementSum(f, ip, L.ipHeaderLength) & 0xffff) >>> 0);
  } else {
    const flow = (s.ipId ?? 1) & 0xfffff;
    f[ip] = 0x60 | (flow >>> 16);
    put16(f, ip + 2, flow & 0xffff);
    put16(f, ip + 4, l4len);
    f[ip + 6] = proto;
    f[ip + 7] = s.ttl ?? 64;
    f.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], ip + 8);
    f.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], ip + 24);
  }
  const t = L.l4;
  put16(f, t, PROBE_PORT_BASE + s.id);
  put16(f, t + 2, s.dport ?? 9);
  if (s.l4 === 'tcp') {
    new DataView(f.buffer).setUint32(t + 4, (s.seq ?? 1000) >>> 0);
    new DataView(f.buffer).setUint32(t + 8, (s.ack ?? 1) >>> 0);
    f[t + 12] = (L.l4HeaderLength / 4) << 4;
    f[t + 13] = s.flags ?? TCP_ACK;
    put16(f, t + 14, s.window ?? 0xffff);
    if (s.tcpOptions !== undefined) f.set(s.tcpOptions, t + 20);
  } else {
    put16(f, t + 4, l4len);
  }
  f.set(s.payload, L.payload);
  const csAt = t + (s.l4 === 'tcp' ? 16 : 6);
  let c = (~onesComplementSum(f, t, l4len, pseudoSum(f, s.ip, proto, l4len)) & 0xffff) >>> 0;
  if (c === 0 && s.l4 === 'udp') c = 0xffff;
  put16(f, csAt, c);
  return f;
}

/** Offset of the transport checksum field. */
export function l4ChecksumAt(s: ProbeFrameSpec): number {
  return probeLayout(s).l4 + (s.l4 === 'tcp' ? 16 : 6);
}

/** The checksum-offload form of a complete frame: transport seed (with length) when `l4`, IPv4 checksum 0 when `ipHeader`. */
export function checksumOffloadForm(s: ProbeFrameSpec, complete: Uint8Array, l4: boolean, ipHeader: boolean): Uint8Array {
  const f = complete.slice();
  const L = probeLayout(s);
  if (l4) put16(f, l4ChecksumAt(s), pseudoSum(f, s.ip, s.l4 === 'tcp' ? PROTO_TCP : PROTO_UDP, f.length - L.l4));
  if (ipHeader && s.ip === 4) put16(f, L.ip + 10, 0);
  return f;
}

/** The LSO form (v2: IP length 0; v1: IPv4 total length of the whole packet) with the seed without the length. */
export function largeSendForm(s: ProbeFrameSpec, complete: Uint8Array, v1: boolean): Uint8Array {
  const f = complete.slice();
  const L = probeLayout(s);
  if (s.ip === 4) {
    if (!v1) put16(f, L.ip + 2, 0);
    put16(f, L.ip + 10, 0);
    put16(f, L.ip + 10, (~onesComplementSum(f, L.ip, L.ipHeaderLength) & 0xffff) >>> 0);
  } else {
    put16(f, L.ip + 4, 0);
  }
  put16(f, l4ChecksumAt(s), pseudoSum(f, s.ip, s.l4 === 'tcp' ? PROTO_TCP : PROTO_UDP, 0));
  return f;
}

/** A UDP payload whose datagram checksum computes to 0 (sent as 0xFFFF, RFC 768): the last two bytes are adjusted. */
export function zeroChecksumUdp(s: ProbeFrameSpec): ProbeFrameSpec {
  const payload = s.payload.slice();
  const probe = { ...s, payload };
  payload[payload.length - 2] = 0;
  payload[payload.length - 1] = 0;
  const f = probeFrame(probe);
  const L = probeLayout(probe);
  put16(f, l4ChecksumAt(probe), 0);
  const len = f.length - L.l4;
  const sum = foldChecksum(onesComplementSum(f, L.l4, len, pseudoSum(f, s.ip, PROTO_UDP, len)));
  // Adding w = 0xFFFF − sum makes the folded sum 0xFFFF, whose complement is 0.
  const w = 0xffff - sum;
  payload[payload.length - 2] = w >>> 8;
  payload[payload.length - 1] = w & 0xff;
  return probe;
}

/** A payload pattern that differs per probe. */
export function pattern(n: number, seed: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 7 + seed * 13 + (i >>> 8)) & 0xff;
  return p;
}

/** The TCP timestamp option (NOP, NOP, TS): kind 8, length 10. */
export function timestampOption(tsval: number, tsecr: number): Uint8Array {
  const o = new Uint8Array(12);
  o[0] = 1;
  o[1] = 1;
  o[2] = 8;
  o[3] = 10;
  new DataView(o.buffer).setUint32(4, tsval >>> 0);
  new DataView(o.buffer).setUint32(8, tsecr >>> 0);
  return o;
}

/** The first bytes of a frame in hex, for failure reports. */
export function frameHex(f: Uint8Array | null, max = 96): string {
  if (f === null) return '(none)';
  const n = Math.min(f.length, max);
  let s = '';
  for (let i = 0; i < n; i++) s += f[i]!.toString(16).padStart(2, '0');
  return f.length > max ? `${s}… (${f.length} bytes)` : `${s} (${f.length} bytes)`;
}
