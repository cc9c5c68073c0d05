/**
 * Address values used by the Reprs and their text forms.
 *
 * - IPv4 addresses are unsigned 32-bit numbers (`ipv4(192, 0, 2, 1) === 0xc0000201`): views read and
 *   write them without allocating, and `===` compares them.
 * - MAC (6 bytes) and IPv6 (16 bytes) addresses are `Uint8Array`s in Reprs; views give offsets and
 *   copy/set/equals methods instead of getters, so reading a packet allocates nothing.
 *
 * The text parsers are for configuration, tests and tools; they throw TypeError on bad text.
 */
import { requireAddress } from './bytes.js';

export const MAC_ADDRESS_LEN = 6;
export const IPV6_ADDRESS_LEN = 16;

/** The IPv4 address a.b.c.d as an unsigned 32-bit number. */
export function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | ((b & 0xff) << 16) | ((c & 0xff) << 8) | (d & 0xff)) >>> 0;
}

/**
 * Why `text` is not an IPv4 address in dotted-quad form, or null when it is one (what
 * `parseIpv4Address` accepts). The reason is for people: configuration errors quote it.
 */
export function ipv4AddressProblem(text: string): string | null {
  const parts = text.split('.');
  if (parts.length !== 4) return `it has ${parts.length} part${parts.length === 1 ? '' : 's'} separated by '.', not 4`;
  for (const p of parts) {
    if (p === '') return 'a part between dots is empty';
    if (!/^\d{1,3}$/.test(p)) return `'${p}' is not a number from 0 to 255`;
    if (Number(p) > 255) return `${p} is above 255`;
  }
  return null;
}

/** `'192.0.2.1'` → 0xc0000201. */
export function parseIpv4Address(text: string): number {
  const why = ipv4AddressProblem(text);
  if (why !== null) throw new TypeError(`not an IPv4 address: ${text} (${why})`);
  const parts = text.split('.');
  return ipv4(Number(parts[0]), Number(parts[1]), Number(parts[2]), Number(parts[3]));
}

export function formatIpv4(addr: number): string {
  return `${String(addr >>> 24)}.${String((addr >>> 16) & 0xff)}.${String((addr >>> 8) & 0xff)}.${String(addr & 0xff)}`;
}

/** `'02:00:00:00:00:01'` or `'02-00-00-00-00-01'` → 6 bytes. */
export function mac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new TypeError(`not a MAC address: ${text}`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** The 6 bytes at `offset` as `'02:00:00:00:00:01'`. */
export function formatMac(b: Uint8Array, offset = 0): string {
  let s = '';
  for (let i = 0; i < MAC_ADDRESS_LEN; i++) s += (i ? ':' : '') + (b[offset + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

export const MAC_BROADCAST: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** The 16-bit groups of `text` (`'::'` not expanded: head and tail), or why it is not an IPv6 address. */
function ipv6Groups(text: string): { head: number[]; tail: number[] } | string {
  const halves = text.split('::');
  if (halves.length > 2) return `'::' appears ${halves.length - 1} times (at most once)`;
  const groups = (s: string): number[] | string => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const why = ipv4AddressProblem(p);
        if (why !== null) return `the IPv4 part '${p}': ${why}`;
        const v4 = parseIpv4Address(p);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return p === '' ? `a group is empty (a single ':' at the start or end, or ':::'?)` : `'${p}' is not a group of 1 to 4 hex digits`;
    }
    return out;
  };
  const head = groups(halves[0]!);
  if (typeof head === 'string') return head;
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (typeof tail === 'string') return tail;
  const n = head.length + tail.length;
  if (halves.length === 1 && n !== 8) return n === 1 && !text.includes(':') ? `it has no ':'` : `it has ${n} groups of 16 bits; without '::' it needs 8`;
  if (halves.length === 2 && n > 7) return `it has ${n} groups of 16 bits, too many for '::' to stand for any`;
  return { head, tail };
}

/**
 * Why `text` is not an IPv6 address (RFC 4291 §2.2 text, an IPv4 tail allowed; no zone), or null when
 * it is one (what `ipv6` accepts). The reason is for people: configuration errors quote it.
 */
export function ipv6AddressProblem(text: string): string | null {
  const g = ipv6Groups(text);
  return typeof g === 'string' ? g : null;
}

/** Why `text` is not an IPv4 or IPv6 address literal (no zone), or null. */
export function ipAddressProblem(text: string): string | null {
  if (text === '') return 'it is empty';
  return text.includes(':') ? ipv6AddressProblem(text) : ipv4AddressProblem(text);
}

/** `'fe80::1'`, `'2001:db8::ffff:192.0.2.1'` → 16 bytes. */
export function ipv6(text: string): Uint8Array {
  const g = ipv6Groups(text);
  if (typeof g === 'string') throw new TypeError(`not an IPv6 address: ${text} (${g})`);
  const { head, tail } = g;
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const out = new Uint8Array(IPV6_ADDRESS_LEN);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** The 16 bytes at `offset` in RFC 5952 form (`'fe80::1'`, `'::ffff:192.0.2.1'`). */
export function formatIpv6(b: Uint8Array, offset = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[offset + 2 * i] ?? 0) << 8) | (b[offset + 2 * i + 1] ?? 0));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIpv4(((g[6]! << 16) | g[7]!) >>> 0)}`;
  }
  let bestAt = -1;
  let bestLen = 1; // a single zero group is not compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  return bestAt < 0 ? hex(0, 8) : `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

/** Throws RangeError unless `addr` is a 6-byte MAC address. */
export function requireMac(addr: Uint8Array, what: string): void {
  requireAddress(addr, MAC_ADDRESS_LEN, what);
}

/** Throws RangeError unless `addr` is a 16-byte IPv6 address. */
export function requireIpv6(addr: Uint8Array, what: string): void {
  requireAddress(addr, IPV6_ADDRESS_LEN, what);
}
