/**
 * Address helpers of the IP layer: prefixes, address classes, multicast MAC mapping, solicited-node
 * groups, EUI-64 link-local addresses and the text forms user code passes in (`'198.18.0.2'`,
 * `'fd00::1'`, `'fe80::1%eth0'` with a zone naming the adapter).
 *
 * IPv4 addresses are *signed* 32-bit numbers inside the stack (`view.srcAddr | 0`): the unsigned form
 * the wire views return exceeds V8's small-integer range from 128.0.0.0 up, and such numbers are boxed
 * each time they cross a call, which would allocate per packet. Bit operations, byte writes and
 * `formatIpv4` work the same on both forms; only `===` needs one form, hence the normalisation at every
 * boundary (wire views, text parsing, public entry points). IPv6 addresses are 16 bytes at an offset,
 * so packet bytes are compared in place. Nothing here allocates except the text parsers.
 */
import { ipv6, parseIpv4Address } from '../../../wire/index.js';
import type { IpFamily } from './tcp/host.js';

export type { IpFamily };

export const IPV6_UNSPECIFIED: Uint8Array = new Uint8Array(16);
export const IPV6_ALL_NODES: Uint8Array = ipv6('ff02::1');
export const IPV4_BROADCAST = -1; // 255.255.255.255 as int32
export const IPV4_ALL_HOSTS = 0xe0000001 | 0;

/**
 * The IPv4 address at `b[o…o+3]` as int32. The views' `srcAddr`-style getters return the unsigned form,
 * which is boxed whenever the getter is not inlined (large functions exhaust TurboFan's inlining budget):
 * hot paths read addresses with this instead.
 */
export function read4(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** The netmask of a prefix length (0–32), as int32. */
export function mask4(prefixLength: number): number {
  return prefixLength <= 0 ? 0 : prefixLength >= 32 ? -1 : -1 << (32 - prefixLength);
}

export function isLoopback4(a: number): boolean {
  return a >>> 24 === 127;
}
export function isMulticast4(a: number): boolean {
  return a >>> 28 === 0xe;
}
/** 0.0.0.0/8, multicast, class E and limited broadcast: never a unicast source. */
export function isBadSource4(a: number): boolean {
  return a >>> 24 === 0 || a >>> 28 >= 0xe;
}

export function eq6(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < 16; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

export function copy6(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number): void {
  for (let i = 0; i < 16; i++) dst[dOff + i] = src[sOff + i]!;
}

export function isUnspecified6(b: Uint8Array, o = 0): boolean {
  for (let i = 0; i < 16; i++) if (b[o + i] !== 0) return false;
  return true;
}
export function isLoopback6(b: Uint8Array, o = 0): boolean {
  for (let i = 0; i < 15; i++) if (b[o + i] !== 0) return false;
  return b[o + 15] === 1;
}
export function isMulticast6(b: Uint8Array, o = 0): boolean {
  return b[o] === 0xff;
}
/** fe80::/10. */
export function isLinkLocal6(b: Uint8Array, o = 0): boolean {
  return b[o] === 0xfe && (b[o + 1]! & 0xc0) === 0x80;
}
/** True when the first `prefixLength` bits of `a` and `b` agree. */
export function prefixMatch6(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, prefixLength: number): boolean {
  const whole = prefixLength >>> 3;
  for (let i = 0; i < whole; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const m = (0xff << (8 - bits)) & 0xff;
  return (a[aOff + whole]! & m) === (b[bOff + whole]! & m);
}

/** Number of leading bits `a` and `b` share (0–128). */
export function commonPrefixLength6(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < 16; i++) {
    const x = a[aOff + i]! ^ b[bOff + i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 128;
}

/** A 32-bit hash of 16 address bytes (hash tables keyed by IPv6 address). */
export function hash6(b: Uint8Array, o: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i += 4) {
    const w = (b[o + i]! << 24) | (b[o + i + 1]! << 16) | (b[o + i + 2]! << 8) | b[o + i + 3]!;
    h = Math.imul(h ^ w, 0x01000193);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

export function hash4(a: number): number {
  const h = Math.imul(a ^ (a >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** ff02::1:ffXX:XXXX for `addr` (RFC 4291 §2.7.1), written to `out[at…]`. */
export function solicitedNode6(addr: Uint8Array, aOff: number, out: Uint8Array, at = 0): void {
  for (let i = 0; i < 16; i++) out[at + i] = 0;
  out[at] = 0xff;
  out[at + 1] = 0x02;
  out[at + 11] = 0x01;
  out[at + 12] = 0xff;
  out[at + 13] = addr[aOff + 13]!;
  out[at + 14] = addr[aOff + 14]!;
  out[at + 15] = addr[aOff + 15]!;
}

/** 33:33 + the low 32 bits of an IPv6 multicast address (RFC 2464 §7). */
export function multicastMac6(addr: Uint8Array, aOff: number, out: Uint8Array, at = 0): void {
  out[at] = 0x33;
  out[at + 1] = 0x33;
  out[at + 2] = addr[aOff + 12]!;
  out[at + 3] = addr[aOff + 13]!;
  out[at + 4] = addr[aOff + 14]!;
  out[at + 5] = addr[aOff + 15]!;
}

/** 01:00:5e + the low 23 bits of an IPv4 multicast address (RFC 1112 §6.4). */
export function multicastMac4(addr: number, out: Uint8Array, at = 0): void {
  out[at] = 0x01;
  out[at + 1] = 0x00;
  out[at + 2] = 0x5e;
  out[at + 3] = (addr >>> 16) & 0x7f;
  out[at + 4] = (addr >>> 8) & 0xff;
  out[at + 5] = addr & 0xff;
}

/** fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A). */
export function linkLocalFromMac(mac: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a[8] = mac[0]! ^ 0x02;
  a[9] = mac[1]!;
  a[10] = mac[2]!;
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3]!;
  a[14] = mac[4]!;
  a[15] = mac[5]!;
  return a;
}

// -----------------------------------------------------------------------------------------------
// Text forms (configuration and user API; these allocate and throw TypeError on bad text)

/** A parsed address: IPv4 as a number, IPv6 as 16 bytes, plus an optional zone (`%eth0`). */
export type IpAddress =
  | { readonly family: 4; readonly v4: number; readonly v6: null; readonly zone: string | null }
  | { readonly family: 6; readonly v4: 0; readonly v6: Uint8Array; readonly zone: string | null };

export function parseIpAddress(text: string): IpAddress {
  const t = text.trim();
  const pct = t.indexOf('%');
  const body = pct < 0 ? t : t.slice(0, pct);
  const zone = pct < 0 ? null : t.slice(pct + 1);
  if (zone === '') throw new TypeError(`empty zone in ${text}`);
  if (body.includes(':')) return { family: 6, v4: 0, v6: ipv6(body), zone };
  return { family: 4, v4: parseIpv4Address(body) | 0, v6: null, zone };
}

export interface Prefix {
  readonly address: IpAddress;
  readonly prefixLength: number;
}

/** `'198.18.0.2/24'`, `'fd00::2/64'`; without `/n` the full length (32 or 128). */
export function parsePrefix(text: string): Prefix {
  const t = text.trim();
  const slash = t.indexOf('/');
  const address = parseIpAddress(slash < 0 ? t : t.slice(0, slash));
  const max = address.family === 4 ? 32 : 128;
  let prefixLength = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new TypeError(`bad prefix length in ${text}`);
    prefixLength = Number(p);
  }
  return { address, prefixLength };
}

/** `'10.0.0.0/8 via 198.18.0.1'`, `'fd01::/64 via fd00::1'`, `'203.0.113.0/24'` (on-link). */
export interface RouteSpec {
  readonly destination: Prefix;
  readonly gateway: IpAddress | null;
  readonly metric: number;
}

export function parseRouteSpec(text: string): RouteSpec {
  const parts = text.trim().split(/\s+/);
  const destination = parsePrefix(parts[0] ?? '');
  let gateway: IpAddress | null = null;
  let metric = 0;
  for (let i = 1; i < parts.length; i += 2) {
    const key = parts[i];
    const value = parts[i + 1];
    if (value === undefined) throw new TypeError(`route '${text}': '${key}' needs a value`);
    if (key === 'via') gateway = parseIpAddress(value);
    else if (key === 'metric' && /^\d+$/.test(value)) metric = Number(value);
    else throw new TypeError(`route '${text}': expected 'via <gateway>' or 'metric <n>'`);
  }
  if (gateway !== null && gateway.family !== destination.address.family) throw new TypeError(`route '${text}': gateway family differs from the destination's`);
  return { destination, gateway, metric };
}
