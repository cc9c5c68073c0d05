/**
 * SYN cookies (RFC 4987 §3.6), used when a listener's half-open bounds are reached: the SYN-ACK's
 * sequence number carries what the connection needs, so nothing is stored until the handshake's ACK
 * proves the peer can receive at its address; that ACK rebuilds the connection.
 *
 * ISN = [t mod 32: 5 bits][MSS index: 3 bits][MAC: 24 bits], t counting 64-second periods, MAC a keyed
 * SipHash of the 4-tuple, the client's ISN, t and the MSS index. A cookie is good for the current and
 * the previous period. With timestamps, our TSval's low 6 bits carry the peer's window scale (4 bits,
 * 15 = none), SACK-permitted (bit 4) and ECN (bit 5, always 0 here), echoed back in TSecr — Linux's
 * cookie_init_timestamp layout; without them a cookie connection has no window scaling and no SACK, as
 * in Linux.
 */
import type { IpFamily } from './host.js';
import { type FlowHasher, HashDomain } from './isn.js';

export const COOKIE_PERIOD_MS = 64_000;
/** Cookie ACKs are only believed this long after the listener last sent a cookie (as Linux does). */
export const COOKIE_RECENT_MS = 2 * COOKIE_PERIOD_MS;
export const COOKIE_MSS: readonly number[] = [216, 536, 1220, 1300, 1400, 1440, 1460, 8960];
const NO_WSCALE = 15;

/** Index of the largest table MSS not above `mss` (0 when even the smallest is larger). */
export function cookieMssIndex(mss: number): number {
  let i = COOKIE_MSS.length - 1;
  while (i > 0 && COOKIE_MSS[i]! > mss) i--;
  return i;
}

function period(nowMs: number): number {
  return Math.floor(nowMs / COOKIE_PERIOD_MS);
}

function mac(h: FlowHasher, family: IpFamily, la: Uint8Array, lp: number, ra: Uint8Array, rp: number, clientIsn: number, t: number, mssIndex: number): number {
  return h.hash2(HashDomain.SynCookie, family, la, lp, ra, rp, clientIsn, ((t & 0xffffff) << 3) | mssIndex) & 0xffffff;
}

/** The ISN for a cookie SYN-ACK (int32, see seq.ts). */
export function makeCookie(h: FlowHasher, nowMs: number, family: IpFamily, la: Uint8Array, lp: number, ra: Uint8Array, rp: number, clientIsn: number, mssIndex: number): number {
  const t = period(nowMs);
  return (((t & 31) << 27) | (mssIndex << 24) | mac(h, family, la, lp, ra, rp, clientIsn, t, mssIndex)) | 0;
}

/** The MSS index of a valid cookie, or −1. `clientIsn` is the ACK's SEQ − 1, `cookie` its ACK − 1. */
export function checkCookie(h: FlowHasher, nowMs: number, family: IpFamily, la: Uint8Array, lp: number, ra: Uint8Array, rp: number, clientIsn: number, cookie: number): number {
  const now = period(nowMs);
  const tBits = (cookie >>> 27) & 31;
  const mssIndex = (cookie >>> 24) & 7;
  for (let t = now; t >= now - 1; t--) {
    if ((t & 31) !== tBits) continue;
    if (mac(h, family, la, lp, ra, rp, clientIsn, t, mssIndex) === (cookie & 0xffffff)) return mssIndex;
  }
  return -1;
}

/** Low 6 bits of TSval for a cookie: the peer's window scale and SACK-permitted. */
export function cookieTsBits(wscale: number, sackPermitted: boolean): number {
  return (wscale >= 0 ? Math.min(wscale, 14) : NO_WSCALE) | (sackPermitted ? 16 : 0);
}

export function cookieWscale(tsEcho: number): number {
  const w = tsEcho & 15;
  return w === NO_WSCALE ? -1 : w;
}

export function cookieSack(tsEcho: number): boolean {
  return (tsEcho & 16) !== 0;
}
