/**
 * The IPv6 fixed header (RFC 8200 §3). Extension headers are in `ipv6-ext.ts`.
 *
 * ```
 *  0        1        2        3
 *  |ver| traffic cl |   flow label    |   (20-bit flow label)
 *  | payload length  | next   | hop lim|
 *  |   source address (16 bytes)       |
 *  | destination address (16 bytes)    |
 * ```
 * Not handled: jumbograms (payload length 0 with a Jumbo Payload option reads as an empty payload).
 */
import { IPV6_ADDRESS_LEN, requireIpv6 } from './address.js';
import { bytesEqual, copyInto, inBounds, read16, read32, requireUint, write16, write32 } from './bytes.js';
import { WireError } from './error.js';
import { WireView } from './view.js';

export const IPV6_HEADER_LEN = 40;

export const Ipv6Field = {
  VersionClassFlow: 0,
  PayloadLength: 4,
  NextHeader: 6,
  HopLimit: 7,
  SrcAddr: 8,
  DstAddr: 24,
} as const;
const F = Ipv6Field;

export class Ipv6View extends WireView {

  /** Header-only check (a datagram quoted in an ICMPv6 error): version 6 and 40 bytes present. */
  static checkHeader(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < IPV6_HEADER_LEN) return WireError.Truncated;
    return bytes[offset]! >>> 4 !== 6 ? WireError.BadVersion : 0;
  }

  /** 0 when the accessors are safe and the payload (`payloadLength` bytes) lies within `length`. */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    const err = Ipv6View.checkHeader(bytes, offset, length);
    if (err !== 0) return err;
    return IPV6_HEADER_LEN + read16(bytes, offset + F.PayloadLength) > length ? WireError.Truncated : 0;
  }



  get version(): number {
    return this.b[this.o]! >>> 4;
  }
  set version(v: number) {
    this.b[this.o] = (this.b[this.o]! & 0x0f) | (v << 4);
  }
  get trafficClass(): number {
    return (read16(this.b, this.o) >>> 4) & 0xff;
  }
  set trafficClass(v: number) {
    const w = read32(this.b, this.o);
    write32(this.b, this.o, (w & 0xf00fffff) | ((v & 0xff) << 20));
  }
  get flowLabel(): number {
    return read32(this.b, this.o) & 0x000fffff;
  }
  set flowLabel(v: number) {
    const w = read32(this.b, this.o);
    write32(this.b, this.o, (w & 0xfff00000) | (v & 0x000fffff));
  }
  get payloadLength(): number {
    return read16(this.b, this.o + F.PayloadLength);
  }
  set payloadLength(v: number) {
    write16(this.b, this.o + F.PayloadLength, v);
  }
  get nextHeader(): number {
    return this.b[this.o + F.NextHeader]!;
  }
  set nextHeader(v: number) {
    this.b[this.o + F.NextHeader] = v;
  }
  get hopLimit(): number {
    return this.b[this.o + F.HopLimit]!;
  }
  set hopLimit(v: number) {
    this.b[this.o + F.HopLimit] = v;
  }

  get srcAddrOffset(): number {
    return this.o + F.SrcAddr;
  }
  copySrcAddr(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.b, this.o + F.SrcAddr, IPV6_ADDRESS_LEN);
  }
  setSrcAddr(addr: Uint8Array, from = 0): void {
    copyInto(this.b, this.o + F.SrcAddr, addr, from, IPV6_ADDRESS_LEN);
  }
  srcAddrEquals(addr: Uint8Array, from = 0): boolean {
    return bytesEqual(this.b, this.o + F.SrcAddr, addr, from, IPV6_ADDRESS_LEN);
  }
  get dstAddrOffset(): number {
    return this.o + F.DstAddr;
  }
  copyDstAddr(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.b, this.o + F.DstAddr, IPV6_ADDRESS_LEN);
  }
  setDstAddr(addr: Uint8Array, from = 0): void {
    copyInto(this.b, this.o + F.DstAddr, addr, from, IPV6_ADDRESS_LEN);
  }
  dstAddrEquals(addr: Uint8Array, from = 0): boolean {
    return bytesEqual(this.b, this.o + F.DstAddr, addr, from, IPV6_ADDRESS_LEN);
  }

  get payloadOffset(): number {
    return this.o + IPV6_HEADER_LEN;
  }
}

export interface Ipv6Repr {
  /** 0–255. */
  trafficClass: number;
  /** 0–0xfffff. */
  flowLabel: number;
  /** The first extension header or the upper-layer protocol. */
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Bytes after the fixed header (extension headers included). */
  payloadLength: number;
}

const scratch = new Ipv6View();

export function parseIpv6(bytes: Uint8Array, offset: number, length: number): Ipv6Repr | WireError {
  const err = Ipv6View.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  return {
    trafficClass: v.trafficClass,
    flowLabel: v.flowLabel,
    nextHeader: v.nextHeader,
    hopLimit: v.hopLimit,
    src: bytes.slice(v.srcAddrOffset, v.srcAddrOffset + IPV6_ADDRESS_LEN),
    dst: bytes.slice(v.dstAddrOffset, v.dstAddrOffset + IPV6_ADDRESS_LEN),
    payloadLength: v.payloadLength,
  };
}

/** Writes the 40-byte fixed header at `offset`; returns 40. Throws RangeError on an impossible Repr. */
export function emitIpv6(repr: Ipv6Repr, bytes: Uint8Array, offset: number): number {
  requireUint(repr.trafficClass, 0xff, 'Ipv6Repr.trafficClass');
  requireUint(repr.flowLabel, 0xfffff, 'Ipv6Repr.flowLabel');
  requireUint(repr.nextHeader, 0xff, 'Ipv6Repr.nextHeader');
  requireUint(repr.hopLimit, 0xff, 'Ipv6Repr.hopLimit');
  requireUint(repr.payloadLength, 0xffff, 'Ipv6Repr.payloadLength');
  requireIpv6(repr.src, 'Ipv6Repr.src');
  requireIpv6(repr.dst, 'Ipv6Repr.dst');
  if (!inBounds(bytes, offset, IPV6_HEADER_LEN)) throw new RangeError('emitIpv6: buffer too small');
  write32(bytes, offset + F.VersionClassFlow, ((6 << 28) | (repr.trafficClass << 20) | repr.flowLabel) >>> 0);
  write16(bytes, offset + F.PayloadLength, repr.payloadLength);
  bytes[offset + F.NextHeader] = repr.nextHeader;
  bytes[offset + F.HopLimit] = repr.hopLimit;
  bytes.set(repr.src, offset + F.SrcAddr);
  bytes.set(repr.dst, offset + F.DstAddr);
  return IPV6_HEADER_LEN;
}
