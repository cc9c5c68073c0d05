/**
 * Frames for the header-data split tests (offload digest §5.3), each with the layout a split gives:
 * the header and data MDL lengths and the NblFlags (an unsplit frame: one length, flags 0).
 */
import {
  NDIS_NBL_FLAGS_HD_SPLIT as HDS,
  NDIS_NBL_FLAGS_IS_IPV4 as V4,
  NDIS_NBL_FLAGS_IS_IPV6 as V6,
  NDIS_NBL_FLAGS_IS_TCP as TCP,
  NDIS_NBL_FLAGS_IS_UDP as UDP,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER as AT_HDR,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD as AT_PAY,
} from '../../src/ndis/index.js';

export function eth(dst: Uint8Array, src: Uint8Array, type: number, rest: number[]): Uint8Array {
  return Uint8Array.from([...dst, ...src, type >> 8, type & 0xff, ...rest]);
}
export function ipv4(proto: number, l4: number[], options: number[] = []): number[] {
  const ihl = 5 + options.length / 4;
  const total = ihl * 4 + l4.length;
  return [0x40 | ihl, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...options, ...l4];
}
export function ipv6(next: number, l4: number[], ext: number[] = []): number[] {
  const len = ext.length + l4.length;
  return [0x60, 0, 0, 0, len >> 8, len & 0xff, next, 64, ...Array.from({ length: 32 }, (_, i) => i), ...ext, ...l4];
}
export function tcp(options: number[], payload: number): number[] {
  return [0x12, 0x34, 0, 80, 0, 0, 0, 1, 0, 0, 0, 2, (5 + options.length / 4) << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0, ...options, ...Array.from({ length: payload }, (_, i) => i & 0xff)];
}
export function udp(payload: number): number[] {
  return [0x12, 0x34, 0, 53, (8 + payload) >> 8, (8 + payload) & 0xff, 0, 0, ...Array.from({ length: payload }, (_, i) => (i * 7) & 0xff)];
}
export const TS_OPTION = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];

export interface HdsCase {
  readonly name: string;
  readonly frame: Uint8Array;
  /** MDL lengths of the frame as indicated. */
  readonly lengths: readonly number[];
  readonly flags: number;
}

/** One frame per rule. Frames reach at least 60 bytes, so no Ethernet padding changes their length. */
export function hdsCases(dst: Uint8Array, src: Uint8Array): HdsCase[] {
  const c = (name: string, frame: Uint8Array, lengths: number[], flags: number): HdsCase => ({ name, frame, lengths, flags });
  return [
    c('TCP no options', eth(dst, src, 0x0800, ipv4(6, tcp([], 1000))), [54, 1000], HDS | AT_PAY | V4 | TCP),
    c('TCP timestamps', eth(dst, src, 0x0800, ipv4(6, tcp(TS_OPTION, 1000))), [66, 1000], HDS | AT_PAY | V4 | TCP),
    c('TCP other options', eth(dst, src, 0x0800, ipv4(6, tcp([2, 4, 5, 0xb4], 100))), [34, 124], HDS | AT_HDR | V4 | TCP),
    c('UDP', eth(dst, src, 0x0800, ipv4(17, udp(300))), [42, 300], HDS | AT_PAY | V4 | UDP),
    c('IPv4 options', eth(dst, src, 0x0800, ipv4(17, udp(30), [0x94, 4, 0, 0])), [46, 30], HDS | AT_PAY | V4 | UDP),
    c('IPv6', eth(dst, src, 0x86dd, ipv6(6, tcp(TS_OPTION, 500))), [86, 500], HDS | AT_PAY | V6 | TCP),
    c('IPv6 ext header', eth(dst, src, 0x86dd, ipv6(60, udp(40), [17, 0, 1, 4, 0, 0, 0, 0])), [70, 40], HDS | AT_PAY | V6 | UDP),
    c('ARP', eth(dst, src, 0x0806, Array.from({ length: 46 }, (_, i) => i)), [60], 0),
    c('IPv4 total length past the frame', eth(dst, src, 0x0800, [0x45, 0, 0, 100, ...new Array<number>(42).fill(0)]), [60], 0),
    c('TCP no payload, padded to 60', eth(dst, src, 0x0800, [...ipv4(6, tcp([], 0)), 0, 0, 0, 0, 0, 0]), [60], 0),
  ];
}
