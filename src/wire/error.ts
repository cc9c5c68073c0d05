/**
 * The closed set of reasons a wire parser rejects bytes. Parsers and `check()` return these codes as
 * values (never throw), so the data path can drop the frame and bump a counter named after the code
 * (`rxDropped.badChecksum`). 0 means "no error"; every code is a small positive integer, so
 * `parseXxx()` results are told apart from a `Repr` object with `typeof r === 'number'`
 * (or `isWireError(r)`).
 *
 * Bugs in the caller (an impossible `Repr` handed to an emitter) are not wire errors: emitters throw
 * `RangeError`/`TypeError` for those.
 */
export const WireError = {
  /** Fewer bytes than the header, or one of its length fields, needs. */
  Truncated: 1,
  /** A length field is impossible: smaller than its own header, or inconsistent with another. */
  BadLength: 2,
  /** A checksum does not verify. */
  BadChecksum: 3,
  /** An IP version nibble that is not the one this parser reads. */
  BadVersion: 4,
  /** A header-length field below the minimum (IPv4 IHL < 5, TCP data offset < 5). */
  BadHeaderLength: 5,
  /** A structural rule is broken: an option with length 0 or 1, hop-by-hop not first, a bad option size. */
  Malformed: 6,
  /** Well formed, but outside what this layer represents (ARP for non-Ethernet/IPv4, an ICMP type with no Repr). */
  Unsupported: 7,
  /** More IPv6 extension headers than `IPV6_MAX_EXTENSION_HEADERS`. */
  TooManyHeaders: 8,
} as const;

export type WireError = (typeof WireError)[keyof typeof WireError];

const NAMES: readonly string[] = Object.entries(WireError).reduce((names, [name, code]) => {
  names[code] = name;
  return names;
}, ['Ok']);

/** `'Truncated'`, `'BadChecksum'`, …; `'Ok'` for 0 and `'Unknown(n)'` for anything else. */
export function wireErrorName(code: WireError | 0): string {
  return NAMES[code] ?? `Unknown(${String(code)})`;
}

/** True for a `WireError` code (a parse result that is not a Repr). */
export function isWireError(value: unknown): value is WireError {
  return typeof value === 'number' && value > 0;
}
