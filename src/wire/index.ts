/**
 * The wire layer: typed views and representations of the headers the TCP/IP protocol driver reads
 * and writes, with their checksums. It imports nothing from the rest of tsndis.
 *
 * Two levels per header (after smoltcp's `Packet`/`Repr`):
 * - `XxxView` is a cursor over `(bytes, offset)` in any Uint8Array (SharedArrayBuffer slabs too),
 *   rebound per packet and never allocated per packet. `XxxView.check(bytes, offset, length)`
 *   returns 0 or a `WireError`; **once it returned 0, no accessor of that view reads or writes outside
 *   `[offset, offset + length)`** (for ICMPv6, the accessors of the message's own type). Views do not
 *   check on `bind`: untrusted bytes must go through `check()` first. Field offsets are the exported
 *   `XxxField` constants; multi-byte fields are big-endian, read byte by byte (no DataView).
 * - `XxxRepr` is a plain object for the control path, tests and the inspector:
 *   `parseXxx(bytes, offset, length)` returns a Repr or a `WireError` (never throws), and
 *   `emitXxx(repr, bytes, offset[, pseudo])` writes it, fills checksums the header owns, and returns
 *   the bytes written; it throws RangeError/TypeError for an impossible Repr (a caller bug). Transport
 *   emitters checksum the payload, so the payload must be in place first.
 *
 * Not supported: IPv4 option semantics (walked and checked, carried as bytes), IPv6 jumbograms, AH/ESP, stacked VLAN
 * tags, non-Ethernet link-layer addresses in ARP and NDP, ICMP types without a Repr (redirect,
 * parameter problem, router renumbering…) beyond their common header.
 */
export { WireError, wireErrorName, isWireError } from './error.js';
export * from './address.js';
export * from './numbers.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './arp.js';
export { OptionReader } from './option-reader.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './ipv6-ext.js';
export * from './icmpv4.js';
export * from './ndp.js';
export * from './icmpv6.js';
export * from './udp.js';
export * from './tcp.js';
export { describeFrame, FrameDescriber, DESCRIBE_MAX_LINES, DESCRIBE_MAX_OPTIONS } from './describe.js';
