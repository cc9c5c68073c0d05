/**
 * The contract every OID codec implements: a typed value <-> the OID's NDIS binary layout
 * (little-endian, x64 natural alignment, as the InformationBuffer of an NDIS_OID_REQUEST).
 * Codecs are used by the runtime for length semantics (BytesNeeded, INVALID_LENGTH,
 * BUFFER_TOO_SHORT), by the CLI to print values, and later by RNDIS.
 */
import type { NdisStatus } from './status.js';

/** A decode failure carries the NDIS status a miniport would complete the request with. */
export interface OidDecodeError {
  readonly status: NdisStatus;
  /** For INVALID_LENGTH / BUFFER_TOO_SHORT: the number of bytes that would have been needed. */
  readonly bytesNeeded: number;
  readonly reason: string;
}

export interface OidCodec<T> {
  readonly oid: number;
  /** Exact NDIS spelling, e.g. 'OID_GEN_LINK_STATE'. */
  readonly name: string;
  /** Smallest InformationBufferLength a Set must carry / a Query must offer for this OID. */
  readonly minLength: number;
  /** Bytes `encode(value)` writes. */
  encodedLength(value: T): number;
  /** Writes `value` at `offset`; the caller guarantees `encodedLength(value)` bytes of room. Returns bytes written. */
  encode(value: T, buf: Uint8Array, offset: number): number;
  /** Reads a value from `length` bytes at `offset`; never throws on malformed input. */
  decode(buf: Uint8Array, offset: number, length: number): OidDecodeResult<T>;
}

export type OidDecodeResult<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & OidDecodeError);
