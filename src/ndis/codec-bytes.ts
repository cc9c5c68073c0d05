/**
 * What every OID codec shares (oid-codecs.ts, rss/codecs.ts): little-endian access, the clamp of a
 * claimed InformationBufferLength to the bytes present, decode results, and the NDIS_OBJECT_HEADER write
 * and revisioned check. Not part of the package's API: codecs are, these are how they are written.
 */
import type { OidDecodeResult } from './oid-codec-types.js';
import { NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_UNSUPPORTED_REVISION, type NdisStatus } from './status.js';

// ======================================================================================================
// Little-endian access. Callers check lengths first; these never see an index past the checked range.
// ======================================================================================================

export function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
export function u64(b: Uint8Array, o: number): bigint {
  return (BigInt(u32(b, o + 4)) << 32n) | BigInt(u32(b, o));
}
export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}
export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
export function put64(b: Uint8Array, o: number, v: bigint): void {
  const x = BigInt.asUintN(64, v);
  put32(b, o, Number(x & 0xffffffffn));
  put32(b, o + 4, Number(x >> 32n));
}

/** Bytes really readable: `length` clamped to what `buf` holds after `offset`; 0 for nonsense arguments. */
export function readable(buf: Uint8Array, offset: number, length: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.length || !(length > 0)) return 0;
  return Math.min(Math.floor(length), buf.length - offset);
}

export function fail(status: NdisStatus, bytesNeeded: number, reason: string): OidDecodeResult<never> {
  return { ok: false, status, bytesNeeded, reason };
}
export function tooShort(name: string, need: number, got: number): OidDecodeResult<never> {
  return fail(NDIS_STATUS_INVALID_LENGTH, need, `${name}: ${got} bytes, need ${need}`);
}
export function ok<T>(value: T): OidDecodeResult<T> {
  return { ok: true, value };
}

// ======================================================================================================
// NDIS_OBJECT_HEADER
// ======================================================================================================

export interface HeaderSpec {
  readonly type: number;
  readonly revision: number;
  readonly size: number;
}

export function writeHeader(buf: Uint8Array, o: number, h: HeaderSpec): void {
  buf[o] = h.type;
  buf[o + 1] = h.revision;
  put16(buf, o + 2, h.size);
}

/**
 * The header check of a structure with several revisions: `sizes[i]` is the size of revision i + 1.
 * Returns the revision the reader may use (the claimed one, capped at the highest known) or the failure:
 * fewer bytes than revision 1 or than the claimed revision needs → INVALID_LENGTH; wrong Type →
 * INVALID_PARAMETER; Revision 0 → UNSUPPORTED_REVISION; Size below the claimed revision's → INVALID_LENGTH.
 */
export function checkRevisionedHeader(name: string, buf: Uint8Array, o: number, n: number, type: number, sizes: readonly number[]): OidDecodeResult<never> | number {
  const first = sizes[0]!;
  if (n < first) return tooShort(name, first, n);
  const t = buf[o]!;
  const revision = buf[o + 1]!;
  const size = u16(buf, o + 2);
  if (t !== type) return fail(NDIS_STATUS_INVALID_PARAMETER, 0, `${name}: Header.Type 0x${t.toString(16)}, expected 0x${type.toString(16)}`);
  if (revision === 0) return fail(NDIS_STATUS_UNSUPPORTED_REVISION, 0, `${name}: Header.Revision 0`);
  const usable = Math.min(revision, sizes.length);
  const need = sizes[usable - 1]!;
  if (size < need) return fail(NDIS_STATUS_INVALID_LENGTH, need, `${name}: Header.Size ${size} is below ${need}, the size of revision ${usable}`);
  if (n < need) return tooShort(name, need, n);
  return usable;
}
