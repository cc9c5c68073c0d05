/**
 * The transmit hash of address-hash load balancing: one 32-bit value per NBL from the first NET_BUFFER's
 * Ethernet, IPv4/IPv6 and TCP/UDP headers (MAC addresses only for other frames). Every NET_BUFFER of an
 * NBL goes to the same destination (the TCP/IP stack promises it and an IM must keep it, seed 003), so
 * hashing the first one and sending the whole NBL through one member keeps each flow on one member.
 * The NBL's own hash (NetBufferListHashValue, set by RSS on receive paths) is not used: a send from the
 * stack above need not carry one.
 */
import type { NetBufferList } from '../../../ndis/index.js';

/** Reads up to `n` bytes from the start of the NBL's first NB into `out`; returns how many it read. */
function headerBytes(nbl: NetBufferList, out: Uint8Array, n: number): number {
  const nb = nbl.firstNetBuffer;
  if (nb === null) return 0;
  let want = Math.min(n, nb.dataLength);
  let got = 0;
  let off = nb.currentMdlOffset;
  for (let m = nb.currentMdl; m !== null && got < want; m = m.next) {
    const avail = m.byteCount - off;
    if (avail > 0) {
      const take = Math.min(avail, want - got);
      const bytes = m.bytes;
      const from = m.byteOffset + off;
      for (let i = 0; i < take; i++) out[got + i] = bytes[from + i]!;
      got += take;
    }
    off = 0;
  }
  if (got < want) want = got;
  return want;
}

const scratch = new Uint8Array(128);

function mix(h: number, v: number): number {
  // FNV-1a over one byte.
  return Math.imul(h ^ v, 0x01000193) >>> 0;
}

/** The flow hash of `nbl` (0 when it has no data). Same headers ⇒ same value. */
export function flowHash(nbl: NetBufferList): number {
  const b = scratch;
  const len = headerBytes(nbl, b, b.length);
  if (len < 14) return 0;
  let h = 0x811c9dc5;
  let type = (b[12]! << 8) | b[13]!;
  let l3 = 14;
  if (type === 0x8100 && len >= 18) {
    type = (b[16]! << 8) | b[17]!;
    l3 = 18;
  }
  let l4 = -1;
  let proto = -1;
  if (type === 0x0800 && len >= l3 + 20) {
    for (let i = l3 + 12; i < l3 + 20; i++) h = mix(h, b[i]!);
    proto = b[l3 + 9]!;
    const fragmented = ((b[l3 + 6]! & 0x3f) | b[l3 + 7]!) !== 0;
    if (!fragmented) l4 = l3 + (b[l3]! & 0x0f) * 4;
  } else if (type === 0x86dd && len >= l3 + 40) {
    for (let i = l3 + 8; i < l3 + 40; i++) h = mix(h, b[i]!);
    proto = b[l3 + 6]!;
    l4 = l3 + 40;
  } else {
    for (let i = 0; i < 12; i++) h = mix(h, b[i]!);
    return h;
  }
  h = mix(h, proto);
  if ((proto === 6 || proto === 17) && l4 >= 0 && len >= l4 + 4) for (let i = l4; i < l4 + 4; i++) h = mix(h, b[i]!);
  // Spread the low bits (the member is chosen by a modulo).
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
