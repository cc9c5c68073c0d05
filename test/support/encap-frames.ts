/**
 * NVGRE and VXLAN frames for encapsulated-offload tests, built independently of tsndis's wire code (own
 * checksum, own byte layout): complete, correct frames; the LSO template form (inner IP length 0, inner
 * TCP checksum = pseudo-header sum without the length, outer lengths and checksums left at zero); the
 * checksum-offload form; a checker that recomputes every checksum of an encapsulated frame.
 */

export interface EncapFrame {
  tunnel: 'vxlan' | 'gre';
  outer6: boolean;
  inner6: boolean;
  outerId?: number;
  innerId?: number;
  seq: number;
  flags: number;
  payload: Uint8Array;
  /** Raw inner TCP options (multiple of 4). */
  options?: Uint8Array;
  /** GRE checksum present (C bit). */
  greChecksum?: boolean;
  vxlanPort?: number;
  outerDstMac?: Uint8Array;
  outerSrcMac?: Uint8Array;
  /** Outer IPv4 addresses (default 192.0.2.1 → 192.0.2.2). */
  outerSrc4?: Uint8Array;
  outerDst4?: Uint8Array;
}

export const VXLAN_PORT = 4789;
const OUTER_MAC_D = [0x02, 0, 0, 0, 0, 0x01];
const OUTER_MAC_S = [0x02, 0, 0, 0, 0, 0x02];
const INNER_MAC_D = [0x02, 0, 0, 0, 0, 0x11];
const INNER_MAC_S = [0x02, 0, 0, 0, 0, 0x12];
const O4S = [192, 0, 2, 1];
const O4D = [192, 0, 2, 2];
const I4S = [10, 0, 0, 1];
const I4D = [10, 0, 0, 2];
const O6S = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i === 15 ? 1 : 0));
const O6D = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i === 15 ? 2 : 0));
const I6S = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfe : i === 1 ? 0x80 : i === 15 ? 0x11 : 0));
const I6D = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfe : i === 1 ? 0x80 : i === 15 ? 0x12 : 0));

/** One's-complement sum (folded, not complemented) of big-endian 16-bit words. */
export function ocsum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let s = initial;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
const g16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const p16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
};

export interface EncapOffsets {
  outerIp: number;
  tunnel: number;
  innerFrame: number;
  innerIp: number;
  tcp: number;
  headerEnd: number;
}

export function offsetsOf(f: EncapFrame): EncapOffsets {
  const outerIp = 14;
  const tunnel = outerIp + (f.outer6 ? 40 : 20);
  const innerFrame = tunnel + (f.tunnel === 'vxlan' ? 16 : f.greChecksum ? 12 : 8);
  const innerIp = innerFrame + 14;
  const tcp = innerIp + (f.inner6 ? 40 : 20);
  return { outerIp, tunnel, innerFrame, innerIp, tcp, headerEnd: tcp + 20 + (f.options?.length ?? 0) };
}

function pseudoSum(b: Uint8Array, ip: number, v6: boolean, proto: number, length: number): number {
  return v6 ? ocsum(b, ip + 8, ip + 40, proto + length) : ocsum(b, ip + 12, ip + 20, proto + length);
}

/** A complete, correct encapsulated frame (every length and checksum filled in). */
export function encapFrame(f: EncapFrame): Uint8Array {
  const o = offsetsOf(f);
  const len = o.headerEnd + f.payload.length;
  const b = new Uint8Array(len);
  b.set(f.outerDstMac ?? OUTER_MAC_D, 0);
  b.set(f.outerSrcMac ?? OUTER_MAC_S, 6);
  p16(b, 12, f.outer6 ? 0x86dd : 0x0800);
  const oproto = f.tunnel === 'vxlan' ? 17 : 47;
  if (f.outer6) {
    b[o.outerIp] = 0x60;
    p16(b, o.outerIp + 4, len - o.outerIp - 40);
    b[o.outerIp + 6] = oproto;
    b[o.outerIp + 7] = 64;
    b.set(O6S, o.outerIp + 8);
    b.set(O6D, o.outerIp + 24);
  } else {
    b[o.outerIp] = 0x45;
    p16(b, o.outerIp + 2, len - o.outerIp);
    p16(b, o.outerIp + 4, f.outerId ?? 0);
    p16(b, o.outerIp + 6, 0x4000);
    b[o.outerIp + 8] = 64;
    b[o.outerIp + 9] = oproto;
    b.set(f.outerSrc4 ?? O4S, o.outerIp + 12);
    b.set(f.outerDst4 ?? O4D, o.outerIp + 16);
  }
  if (f.tunnel === 'vxlan') {
    p16(b, o.tunnel, 49152);
    p16(b, o.tunnel + 2, f.vxlanPort ?? VXLAN_PORT);
    p16(b, o.tunnel + 4, len - o.tunnel);
    b[o.tunnel + 8] = 0x08;
    b[o.tunnel + 12] = 0x00;
    b[o.tunnel + 13] = 0x12;
    b[o.tunnel + 14] = 0x34; // VNI 0x1234
  } else {
    p16(b, o.tunnel, 0x2000 | (f.greChecksum ? 0x8000 : 0));
    p16(b, o.tunnel + 2, 0x6558);
    const key = o.tunnel + (f.greChecksum ? 8 : 4);
    b[key] = 0x00;
    b[key + 1] = 0x10;
    b[key + 2] = 0x01; // VSID 0x1001
    b[key + 3] = 0x07; // FlowID
  }
  b.set(INNER_MAC_D, o.innerFrame);
  b.set(INNER_MAC_S, o.innerFrame + 6);
  p16(b, o.innerFrame + 12, f.inner6 ? 0x86dd : 0x0800);
  const tcpLen = len - o.tcp;
  if (f.inner6) {
    b[o.innerIp] = 0x60;
    p16(b, o.innerIp + 4, tcpLen);
    b[o.innerIp + 6] = 6;
    b[o.innerIp + 7] = 64;
    b.set(I6S, o.innerIp + 8);
    b.set(I6D, o.innerIp + 24);
  } else {
    b[o.innerIp] = 0x45;
    p16(b, o.innerIp + 2, len - o.innerIp);
    p16(b, o.innerIp + 4, f.innerId ?? 0);
    p16(b, o.innerIp + 6, 0x4000);
    b[o.innerIp + 8] = 64;
    b[o.innerIp + 9] = 6;
    b.set(I4S, o.innerIp + 12);
    b.set(I4D, o.innerIp + 16);
  }
  p16(b, o.tcp, 40000);
  p16(b, o.tcp + 2, 80);
  const s = f.seq >>> 0;
  b[o.tcp + 4] = s >>> 24;
  b[o.tcp + 5] = (s >>> 16) & 0xff;
  b[o.tcp + 6] = (s >>> 8) & 0xff;
  b[o.tcp + 7] = s & 0xff;
  b[o.tcp + 11] = 1; // ack 1
  b[o.tcp + 12] = ((20 + (f.options?.length ?? 0)) / 4) << 4;
  b[o.tcp + 13] = f.flags;
  p16(b, o.tcp + 14, 8192);
  if (f.options) b.set(f.options, o.tcp + 20);
  b.set(f.payload, o.headerEnd);
  // Checksums, inside out.
  p16(b, o.tcp + 16, 0xffff ^ ocsum(b, o.tcp, len, pseudoSum(b, o.innerIp, f.inner6, 6, tcpLen)));
  if (!f.inner6) p16(b, o.innerIp + 10, 0xffff ^ ocsum(b, o.innerIp, o.innerIp + 20));
  if (f.tunnel === 'vxlan' && f.outer6) {
    let c = 0xffff ^ ocsum(b, o.tunnel, len, pseudoSum(b, o.outerIp, true, 17, len - o.tunnel));
    if (c === 0) c = 0xffff;
    p16(b, o.tunnel + 6, c);
  }
  if (f.tunnel === 'gre' && f.greChecksum) p16(b, o.tunnel + 4, 0xffff ^ ocsum(b, o.tunnel, len));
  if (!f.outer6) p16(b, o.outerIp + 10, 0xffff ^ ocsum(b, o.outerIp, o.outerIp + 20));
  return b;
}

/**
 * The LSO template an encapsulator hands down: inner IP length zero, inner IPv4 checksum zero, inner TCP
 * checksum = pseudo-header sum without the length (§2.4); outer lengths, outer IPv4 / UDP / GRE checksums zero.
 */
export function lsoTemplate(f: EncapFrame): Uint8Array {
  const b = encapFrame(f);
  const o = offsetsOf(f);
  if (f.inner6) p16(b, o.innerIp + 4, 0);
  else {
    p16(b, o.innerIp + 2, 0);
    p16(b, o.innerIp + 10, 0);
  }
  p16(b, o.tcp + 16, pseudoSum(b, o.innerIp, f.inner6, 6, 0));
  if (f.outer6) p16(b, o.outerIp + 4, 0);
  else {
    p16(b, o.outerIp + 2, 0);
    p16(b, o.outerIp + 10, 0);
  }
  if (f.tunnel === 'vxlan') {
    p16(b, o.tunnel + 4, 0);
    p16(b, o.tunnel + 6, 0);
  } else if (f.greChecksum) p16(b, o.tunnel + 4, 0);
  return b;
}

/** The checksum-offload form: inner TCP checksum = pseudo-header sum with the length; IPv4 checksums and tunnel checksums zero. */
export function checksumTemplate(f: EncapFrame): Uint8Array {
  const b = encapFrame(f);
  const o = offsetsOf(f);
  p16(b, o.tcp + 16, pseudoSum(b, o.innerIp, f.inner6, 6, b.length - o.tcp));
  if (!f.inner6) p16(b, o.innerIp + 10, 0);
  if (!f.outer6) p16(b, o.outerIp + 10, 0);
  if (f.tunnel === 'vxlan') p16(b, o.tunnel + 6, 0);
  else if (f.greChecksum) p16(b, o.tunnel + 4, 0);
  return b;
}

/** Every checksum and length of an encapsulated frame shaped like `f` verifies (VXLAN over IPv4: UDP checksum must be zero). */
export function encapChecksumsValid(f: EncapFrame, b: Uint8Array): string | null {
  const o = offsetsOf(f);
  const len = b.length;
  if (!f.outer6 && ocsum(b, o.outerIp, o.outerIp + 20) !== 0xffff) return 'outer IPv4 header checksum';
  if (!f.outer6 && g16(b, o.outerIp + 2) !== len - o.outerIp) return 'outer IPv4 total length';
  if (f.outer6 && g16(b, o.outerIp + 4) !== len - o.outerIp - 40) return 'outer IPv6 payload length';
  if (f.tunnel === 'vxlan') {
    if (g16(b, o.tunnel + 4) !== len - o.tunnel) return 'outer UDP length';
    if (!f.outer6 && g16(b, o.tunnel + 6) !== 0) return 'outer UDP checksum over IPv4 must be zero';
    if (f.outer6 && (g16(b, o.tunnel + 6) === 0 || ocsum(b, o.tunnel, len, pseudoSum(b, o.outerIp, true, 17, len - o.tunnel)) !== 0xffff)) return 'outer UDP checksum';
  } else if (f.greChecksum && ocsum(b, o.tunnel, len) !== 0xffff) return 'GRE checksum';
  if (!f.inner6 && ocsum(b, o.innerIp, o.innerIp + 20) !== 0xffff) return 'inner IPv4 header checksum';
  if (!f.inner6 && g16(b, o.innerIp + 2) !== len - o.innerIp) return 'inner IPv4 total length';
  if (f.inner6 && g16(b, o.innerIp + 4) !== len - o.innerIp - 40) return 'inner IPv6 payload length';
  if (ocsum(b, o.tcp, len, pseudoSum(b, o.innerIp, f.inner6, 6, len - o.tcp)) !== 0xffff) return 'inner TCP checksum';
  return null;
}
