/**
 * OidCodec implementations for the common OIDs (ndis-core spec §4.3–§4.5, §5.3, §6.2, §9), the
 * OID_CODECS lookup and the OID_INFO metadata table.
 *
 * Layouts are the InformationBuffer contents on x64: little-endian, natural alignment. Every structure
 * that starts with NDIS_OBJECT_HEADER is checked on decode, in this order:
 *   1. fewer bytes than the revision-1 size          → NDIS_STATUS_INVALID_LENGTH, bytesNeeded = that size
 *   2. Header.Type wrong                             → NDIS_STATUS_INVALID_PARAMETER
 *   3. Header.Revision 0                             → NDIS_STATUS_UNSUPPORTED_REVISION
 *   4. Header.Size below the revision-1 size         → NDIS_STATUS_INVALID_LENGTH, bytesNeeded = that size
 * A revision above the highest one known here is accepted and read through its revision-1 prefix: NDIS
 * revisions only append fields, and the offload digest's rule is "accept any revision ≥ the one you
 * understand, provided Size covers it". Encode always writes revision 1 with Size = the revision-1 size.
 *
 * Decode never throws and never reads outside [offset, offset + length) ∩ buf (length is clamped to the
 * bytes actually present, so a lying length cannot reach past the buffer). Encode trusts the caller to
 * provide `encodedLength(value)` bytes; integer fields are truncated to their C width (`>>> 0`,
 * BigInt.asUintN(64)) and only impossible values (a 5-byte MAC, a non-ASCII vendor string) throw.
 */
import type { OidCodec, OidDecodeResult } from './oid-codec-types.js';
import { type HeaderSpec, checkRevisionedHeader, fail, ok, put16, put32, put64, readable, tooShort, u16, u32, u64, writeHeader } from './codec-bytes.js';
import {
  NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
  NDIS_LINK_PARAMETERS_REVISION_1,
  NDIS_LINK_STATE_REVISION_1,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_LINK_STATE_REVISION_1,
  NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  NDIS_STATISTICS_INFO_REVISION_1,
} from './constants.js';
import * as O from './oids.js';
import { oidName } from './oids.js';
import { NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_UNSUPPORTED_REVISION } from './status.js';
import {
  NDIS_OBJECT_TYPE_OFFLOAD,
  NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION,
} from './constants.js';
import {
  NDIS_OFFLOAD_ENCAPSULATION_REVISION_1,
  NDIS_OFFLOAD_PARAMETERS_REVISION_2,
  NDIS_OFFLOAD_PARAMETERS_REVISION_3,
  NDIS_OFFLOAD_REVISION_3,
  NDIS_RSC_STATISTICS_REVISION_1,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_2,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3,
  NDIS_SIZEOF_OFFLOAD_ENCAPSULATION_REVISION_1,
  NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_2,
  NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_3,
  NDIS_SIZEOF_RSC_STATISTICS_REVISION_1,
  type ChecksumOffloadDirection,
  type LargeSendOffloadV2Family,
  type NdisOffload,
  type NdisOffloadEncapsulation,
  type NdisOffloadParameters,
  type NdisRscStatisticsInfo,
  type OffloadEncapsulationFamily,
} from './offload.js';
import {
  NDIS_OFFLOAD_PARAMETERS_REVISION_4,
  NDIS_OFFLOAD_PARAMETERS_REVISION_5,
  NDIS_OFFLOAD_REVISION_4,
  NDIS_OFFLOAD_REVISION_6,
  NDIS_OFFLOAD_UDP_SEGMENTATION_OFFSET,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_5,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_7,
  NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_4,
  NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5,
  type IpsecOffloadV1,
  type IpsecOffloadV2,
  type UdpSegmentationOffload,
  type UdpSegmentationOffloadFamily,
} from './offload.js';
import {
  NDIS_OFFLOAD_PARAMETERS_ENCAPSULATION_PROTOCOL_OFFSET,
  ndisOffloadRevisionFor,
  readNdisOffloadEncapsulated,
  writeNdisOffloadEncapsulated,
} from './encapsulated-offload.js';
import { receiveScaleCapabilitiesCodec, receiveScaleParametersCodec } from './rss/codecs.js';
import { hdSplitCurrentConfigCodec, hdSplitParametersCodec } from './hd-split.js';
import {
  NDIS_STATISTICS_COUNTERS,
  type NdisInterruptModerationParameters,
  type NdisLinkParameters,
  type NdisLinkSpeed,
  type NdisLinkState,
  type NdisStatisticsInfo,
} from './structures.js';

// ======================================================================================================
// Scalar and array codecs (factories, so drivers can build codecs for OIDs not listed here)
// ======================================================================================================

/** A ULONG (4 bytes). Longer buffers are accepted and only the first 4 bytes read, as NDIS does. */
export function ulongCodec(oid: number): OidCodec<number> {
  const name = oidName(oid);
  return {
    oid,
    name,
    minLength: 4,
    encodedLength: () => 4,
    encode(value, buf, offset) {
      put32(buf, offset, value >>> 0);
      return 4;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      return n < 4 ? tooShort(name, 4, n) : ok(u32(buf, offset));
    },
  };
}

/** A USHORT (2 bytes). */
export function ushortCodec(oid: number): OidCodec<number> {
  const name = oidName(oid);
  return {
    oid,
    name,
    minLength: 2,
    encodedLength: () => 2,
    encode(value, buf, offset) {
      put16(buf, offset, value);
      return 2;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      return n < 2 ? tooShort(name, 2, n) : ok(u16(buf, offset));
    },
  };
}

/** What a statistics counter query must offer to get the full 64-bit value. */
export const COUNTER_BYTES_NEEDED = 8;

/**
 * Statistics counters: NDIS lets the requester offer either a 4- or an 8-byte buffer. The codec's own
 * encode writes the full 8 bytes (`encodedLength` 8); a query handler that must honour a 4-byte buffer
 * uses `encodeCounter`. Decode reads a ULONG64 when ≥ 8 bytes are present and a ULONG when 4–7 are;
 * under 4 bytes it fails with bytesNeeded = 8, which is what NDIS miniports report for these OIDs.
 */
export interface CounterCodec extends OidCodec<bigint> {
  readonly counter: true;
}

export function counterCodec(oid: number): CounterCodec {
  const name = oidName(oid);
  return {
    oid,
    name,
    counter: true,
    minLength: 4,
    encodedLength: () => 8,
    encode(value, buf, offset) {
      put64(buf, offset, value);
      return 8;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      if (n >= 8) return ok(u64(buf, offset));
      if (n >= 4) return ok(BigInt(u32(buf, offset)));
      return tooShort(name, COUNTER_BYTES_NEEDED, n);
    },
  };
}

/** Bytes a counter query writes into a buffer of `available` bytes: 8, 4, or 0 (too short). */
export function counterEncodedLength(available: number): 0 | 4 | 8 {
  return available >= 8 ? 8 : available >= 4 ? 4 : 0;
}

/**
 * Writes `value` as a ULONG64 when `available` ≥ 8, else as its low 32 bits when `available` ≥ 4.
 * Returns the bytes written; 0 means the buffer is too short (complete with BUFFER_TOO_SHORT and
 * BytesNeeded = COUNTER_BYTES_NEEDED).
 */
export function encodeCounter(value: bigint, buf: Uint8Array, offset: number, available: number): 0 | 4 | 8 {
  const n = counterEncodedLength(available);
  if (n === 8) put64(buf, offset, value);
  else if (n === 4) put32(buf, offset, Number(BigInt.asUintN(32, value)));
  return n;
}

export const ETH_LENGTH_OF_ADDRESS = 6;

function checkMac(name: string, mac: Uint8Array): void {
  if (mac.length !== ETH_LENGTH_OF_ADDRESS) throw new RangeError(`${name}: a MAC address is 6 bytes, got ${mac.length}`);
}

/** One 6-byte MAC address; decode copies (the InformationBuffer is not ours to keep). */
export function macAddressCodec(oid: number): OidCodec<Uint8Array> {
  const name = oidName(oid);
  return {
    oid,
    name,
    minLength: ETH_LENGTH_OF_ADDRESS,
    encodedLength: () => ETH_LENGTH_OF_ADDRESS,
    encode(value, buf, offset) {
      checkMac(name, value);
      buf.set(value, offset);
      return ETH_LENGTH_OF_ADDRESS;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      if (n < ETH_LENGTH_OF_ADDRESS) return tooShort(name, ETH_LENGTH_OF_ADDRESS, n);
      return ok(buf.slice(offset, offset + ETH_LENGTH_OF_ADDRESS));
    },
  };
}

/**
 * A packed array of fixed-size elements (ULONG OIDs, MAC addresses). The whole length must be a multiple
 * of the element size; otherwise INVALID_LENGTH with bytesNeeded = the length rounded up to whole elements.
 */
function arrayCodec<T>(
  oid: number,
  size: number,
  read: (b: Uint8Array, o: number) => T,
  write: (b: Uint8Array, o: number, v: T) => void,
): OidCodec<readonly T[]> {
  const name = oidName(oid);
  return {
    oid,
    name,
    minLength: 0,
    encodedLength: (value) => value.length * size,
    encode(value, buf, offset) {
      for (let i = 0; i < value.length; i++) write(buf, offset + i * size, value[i]!);
      return value.length * size;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      if (n % size !== 0) {
        return fail(NDIS_STATUS_INVALID_LENGTH, n + size - (n % size), `${name}: ${n} bytes is not a multiple of ${size}`);
      }
      const out: T[] = [];
      for (let o = offset; o < offset + n; o += size) out.push(read(buf, o));
      return ok(out);
    },
  };
}

export function ulongArrayCodec(oid: number): OidCodec<readonly number[]> {
  return arrayCodec(oid, 4, u32, (b, o, v) => put32(b, o, v >>> 0));
}

export function macAddressListCodec(oid: number): OidCodec<readonly Uint8Array[]> {
  const name = oidName(oid);
  return arrayCodec(
    oid,
    ETH_LENGTH_OF_ADDRESS,
    (b, o) => b.slice(o, o + ETH_LENGTH_OF_ADDRESS),
    (b, o, v) => {
      checkMac(name, v);
      b.set(v, o);
    },
  );
}

/**
 * A NUL-terminated ASCII string (OID_GEN_VENDOR_DESCRIPTION). Encode writes the string plus its NUL;
 * decode stops at the first NUL, or at the end of the buffer if the writer left the NUL out, and maps
 * bytes 0x80–0xFF to U+0080–U+00FF rather than failing.
 */
export function asciiStringCodec(oid: number): OidCodec<string> {
  const name = oidName(oid);
  return {
    oid,
    name,
    minLength: 1,
    encodedLength: (value) => value.length + 1,
    encode(value, buf, offset) {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c === 0 || c > 0x7f) throw new RangeError(`${name}: character ${i} (U+${c.toString(16)}) is not printable ASCII`);
        buf[offset + i] = c;
      }
      buf[offset + value.length] = 0;
      return value.length + 1;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      if (n < 1) return tooShort(name, 1, n);
      let s = '';
      for (let i = offset; i < offset + n && buf[i] !== 0; i++) s += String.fromCharCode(buf[i]!);
      return ok(s);
    },
  };
}

// ======================================================================================================
// Structures with an NDIS_OBJECT_HEADER
// ======================================================================================================

/** Steps 1–4 of the module comment; null when the revision-1 layout may be read. */
function checkHeader(name: string, buf: Uint8Array, o: number, n: number, h: HeaderSpec): OidDecodeResult<never> | null {
  if (n < h.size) return tooShort(name, h.size, n);
  const type = buf[o]!;
  const revision = buf[o + 1]!;
  const size = u16(buf, o + 2);
  if (type !== h.type) {
    return fail(NDIS_STATUS_INVALID_PARAMETER, 0, `${name}: Header.Type 0x${type.toString(16)}, expected 0x${h.type.toString(16)}`);
  }
  if (revision < h.revision) {
    return fail(NDIS_STATUS_UNSUPPORTED_REVISION, 0, `${name}: Header.Revision ${revision}, need ≥ ${h.revision}`);
  }
  if (size < h.size) return fail(NDIS_STATUS_INVALID_LENGTH, h.size, `${name}: Header.Size ${size}, need ≥ ${h.size}`);
  return null;
}

function structCodec<T>(
  oid: number,
  h: HeaderSpec,
  write: (buf: Uint8Array, o: number, v: T) => void,
  read: (buf: Uint8Array, o: number) => T,
): OidCodec<T> {
  const name = oidName(oid);
  return {
    oid,
    name,
    minLength: h.size,
    encodedLength: () => h.size,
    encode(value, buf, offset) {
      writeHeader(buf, offset, h);
      write(buf, offset, value);
      return h.size;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      return checkHeader(name, buf, offset, n, h) ?? ok(read(buf, offset));
    },
  };
}

/**
 * NDIS_LINK_STATE, 40 bytes:
 *   0 Header  4 MediaConnectState  8 MediaDuplexState  12 (padding: ULONG64 alignment)
 *   16 XmitLinkSpeed  24 RcvLinkSpeed  32 PauseFunctions  36 AutoNegotiationFlags
 */
export const linkStateCodec: OidCodec<NdisLinkState> = structCodec(
  O.OID_GEN_LINK_STATE,
  { type: NDIS_OBJECT_TYPE_DEFAULT, revision: NDIS_LINK_STATE_REVISION_1, size: NDIS_SIZEOF_LINK_STATE_REVISION_1 },
  (b, o, v) => {
    put32(b, o + 4, v.mediaConnectState >>> 0);
    put32(b, o + 8, v.mediaDuplexState >>> 0);
    put32(b, o + 12, 0);
    put64(b, o + 16, v.xmitLinkSpeed);
    put64(b, o + 24, v.rcvLinkSpeed);
    put32(b, o + 32, v.pauseFunctions >>> 0);
    put32(b, o + 36, v.autoNegotiationFlags >>> 0);
  },
  (b, o) => ({
    mediaConnectState: u32(b, o + 4),
    mediaDuplexState: u32(b, o + 8),
    xmitLinkSpeed: u64(b, o + 16),
    rcvLinkSpeed: u64(b, o + 24),
    pauseFunctions: u32(b, o + 32),
    autoNegotiationFlags: u32(b, o + 36),
  }),
);

/**
 * NDIS_LINK_PARAMETERS, 32 bytes (no padding: the ULONG64s fall on 8):
 *   0 Header  4 MediaDuplexState  8 XmitLinkSpeed  16 RcvLinkSpeed  24 PauseFunctions  28 AutoNegotiationFlags
 */
export const linkParametersCodec: OidCodec<NdisLinkParameters> = structCodec(
  O.OID_GEN_LINK_PARAMETERS,
  {
    type: NDIS_OBJECT_TYPE_DEFAULT,
    revision: NDIS_LINK_PARAMETERS_REVISION_1,
    size: NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1,
  },
  (b, o, v) => {
    put32(b, o + 4, v.mediaDuplexState >>> 0);
    put64(b, o + 8, v.xmitLinkSpeed);
    put64(b, o + 16, v.rcvLinkSpeed);
    put32(b, o + 24, v.pauseFunctions >>> 0);
    put32(b, o + 28, v.autoNegotiationFlags >>> 0);
  },
  (b, o) => ({
    mediaDuplexState: u32(b, o + 4),
    xmitLinkSpeed: u64(b, o + 8),
    rcvLinkSpeed: u64(b, o + 16),
    pauseFunctions: u32(b, o + 24),
    autoNegotiationFlags: u32(b, o + 28),
  }),
);

/** NDIS_INTERRUPT_MODERATION_PARAMETERS, 12 bytes: 0 Header  4 Flags  8 InterruptModeration. */
export const interruptModerationCodec: OidCodec<NdisInterruptModerationParameters> = structCodec(
  O.OID_GEN_INTERRUPT_MODERATION,
  {
    type: NDIS_OBJECT_TYPE_DEFAULT,
    revision: NDIS_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
    size: NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1,
  },
  (b, o, v) => {
    put32(b, o + 4, v.flags >>> 0);
    put32(b, o + 8, v.interruptModeration >>> 0);
  },
  (b, o) => ({ flags: u32(b, o + 4), interruptModeration: u32(b, o + 8) }),
);

/** NDIS_STATISTICS_INFO, 152 bytes: 0 Header  4 SupportedStatistics  8 + 8·i the 18 ULONG64 counters. */
export const statisticsCodec: OidCodec<NdisStatisticsInfo> = structCodec(
  O.OID_GEN_STATISTICS,
  {
    type: NDIS_OBJECT_TYPE_DEFAULT,
    revision: NDIS_STATISTICS_INFO_REVISION_1,
    size: NDIS_SIZEOF_STATISTICS_INFO_REVISION_1,
  },
  (b, o, v) => {
    put32(b, o + 4, v.supportedStatistics >>> 0);
    for (let i = 0; i < NDIS_STATISTICS_COUNTERS.length; i++) put64(b, o + 8 + 8 * i, v[NDIS_STATISTICS_COUNTERS[i]!]);
  },
  (b, o) => {
    const v = { supportedStatistics: u32(b, o + 4) } as NdisStatisticsInfo;
    for (let i = 0; i < NDIS_STATISTICS_COUNTERS.length; i++) v[NDIS_STATISTICS_COUNTERS[i]!] = u64(b, o + 8 + 8 * i);
    return v;
  },
);

/** NDIS_LINK_SPEED, 16 bytes and no header: 0 XmitLinkSpeed  8 RcvLinkSpeed. */
export const NDIS_SIZEOF_LINK_SPEED = 16;
export const maxLinkSpeedCodec: OidCodec<NdisLinkSpeed> = {
  oid: O.OID_GEN_MAX_LINK_SPEED,
  name: 'OID_GEN_MAX_LINK_SPEED',
  minLength: NDIS_SIZEOF_LINK_SPEED,
  encodedLength: () => NDIS_SIZEOF_LINK_SPEED,
  encode(value, buf, offset) {
    put64(buf, offset, value.xmitLinkSpeed);
    put64(buf, offset + 8, value.rcvLinkSpeed);
    return NDIS_SIZEOF_LINK_SPEED;
  },
  decode(buf, offset, length) {
    const n = readable(buf, offset, length);
    if (n < NDIS_SIZEOF_LINK_SPEED) return tooShort('OID_GEN_MAX_LINK_SPEED', NDIS_SIZEOF_LINK_SPEED, n);
    return ok({ xmitLinkSpeed: u64(buf, offset), rcvLinkSpeed: u64(buf, offset + 8) });
  },
};

// ======================================================================================================
// Task offload structures (offload digest §1.3–§1.5, §4.5). These carry several revisions, so they check
// their header against the size of the revision they claim (not just revision 1) and read what it has.
// ======================================================================================================

/** A 2-bit capability field: NDIS_OFFLOAD_SUPPORTED (1) or NOT_SUPPORTED (0); other values read as supported. */
function bits2(word: number, shift: number): boolean {
  return ((word >>> shift) & 3) !== 0;
}

function writeChecksumDirection(b: Uint8Array, o: number, d: ChecksumOffloadDirection, v4: boolean): void {
  put32(b, o, d.encapsulation >>> 0);
  const w = (d.ipOptionsSupported ? 1 : 0) | ((d.tcpOptionsSupported ? 1 : 0) << 2) | ((d.tcpChecksum ? 1 : 0) << 4) | ((d.udpChecksum ? 1 : 0) << 6) | ((v4 && d.ipChecksum ? 1 : 0) << 8);
  put32(b, o + 4, w);
}

function readChecksumDirection(b: Uint8Array, o: number, v4: boolean): ChecksumOffloadDirection {
  const w = u32(b, o + 4);
  return {
    encapsulation: u32(b, o),
    ipOptionsSupported: bits2(w, 0),
    tcpOptionsSupported: bits2(w, 2),
    tcpChecksum: bits2(w, 4),
    udpChecksum: bits2(w, 6),
    ipChecksum: v4 && bits2(w, 8),
  };
}

function writeLsoV2Family(b: Uint8Array, o: number, f: LargeSendOffloadV2Family): void {
  put32(b, o, f.encapsulation >>> 0);
  put32(b, o + 4, f.maxOffLoadSize >>> 0);
  put32(b, o + 8, f.minSegmentCount >>> 0);
}

function readLsoV2Family(b: Uint8Array, o: number): LargeSendOffloadV2Family {
  return { encapsulation: u32(b, o), maxOffLoadSize: u32(b, o + 4), minSegmentCount: u32(b, o + 8) };
}

/**
 * NDIS_OFFLOAD, written as REVISION_3 (NDIS 6.30, 156 bytes), or REVISION_4 (6.50, 177 bytes) when the
 * value carries encapsulated-packet offload (encapsulated-offload.ts); REVISION_1 (112) and _2 (144) are
 * read too (they have no RSC: it reads as off). IPsec offloads are written as zeros and ignored on read.
 *
 *   0 Header  4 Checksum {IPv4Transmit, IPv4Receive, IPv6Transmit, IPv6Receive: Encapsulation, bit fields}
 *   36 LsoV1.IPv4 {Encapsulation, MaxOffLoadSize, MinSegmentCount, TcpOptions:2 IpOptions:2}
 *   52 IPsecV1 (28)  80 LsoV2.IPv4 {Encapsulation, MaxOffLoadSize, MinSegmentCount}
 *   92 LsoV2.IPv6 {…, IpExtensionHeadersSupported:2 TcpOptionsSupported:2}  108 Flags  (end of revision 1)
 *   112 IPsecV2 (32)  (end of revision 2)  144 Rsc.IPv4.Enabled  145 Rsc.IPv6.Enabled  (2 bytes padding)
 *   148 EncapsulatedPacketTaskOffloadGre {bit fields, MaxHeaderSizeSupported}  (end of revision 3)
 *   156 EncapsulatedPacketTaskOffloadVxlan {bit fields, MaxHeaderSizeSupported, VxlanInfo, Reserved1, Reserved2}
 *   176 EncapsulationTypes  (end of revision 4 at 177)
 */
export function ndisOffloadCodec(oid: number): OidCodec<NdisOffload> {
  const name = oidName(oid);
  const sizes = [NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_2, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3, ...NDIS_OFFLOAD_USO_SIZES] as const;
  // The revision written: 6 when the value has USO, else 4 when it carries encapsulated offload (NVGRE/VXLAN), else 3.
  const revisionOf = (v: NdisOffload): number => (v.uso !== undefined ? NDIS_OFFLOAD_REVISION_6 : ndisOffloadRevisionFor(v));
  const sizeOf = (v: NdisOffload): number =>
    ndisOffloadUsoSize(v) ?? (ndisOffloadRevisionFor(v) === NDIS_OFFLOAD_REVISION_4 ? NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4 : NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3);
  return {
    oid,
    name,
    minLength: NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1,
    encodedLength: sizeOf,
    encode(v, b, o) {
      const size = sizeOf(v);
      const revision = revisionOf(v);
      b.fill(0, o, o + size);
      writeHeader(b, o, { type: NDIS_OBJECT_TYPE_OFFLOAD, revision, size });
      if (v.uso !== undefined) writeUdpSegmentationOffload(b, o + NDIS_OFFLOAD_UDP_SEGMENTATION_OFFSET, v.uso);
      const c = v.checksum;
      writeChecksumDirection(b, o + 4, c.ipv4Transmit, true);
      writeChecksumDirection(b, o + 12, c.ipv4Receive, true);
      writeChecksumDirection(b, o + 20, c.ipv6Transmit, false);
      writeChecksumDirection(b, o + 28, c.ipv6Receive, false);
      const l1 = v.lsoV1.ipv4;
      put32(b, o + 36, l1.encapsulation >>> 0);
      put32(b, o + 40, l1.maxOffLoadSize >>> 0);
      put32(b, o + 44, l1.minSegmentCount >>> 0);
      put32(b, o + 48, (l1.tcpOptions ? 1 : 0) | ((l1.ipOptions ? 1 : 0) << 2));
      writeLsoV2Family(b, o + 80, v.lsoV2.ipv4);
      const l6 = v.lsoV2.ipv6;
      writeLsoV2Family(b, o + 92, l6);
      put32(b, o + 104, (l6.ipExtensionHeadersSupported ? 1 : 0) | ((l6.tcpOptionsSupported ? 1 : 0) << 2));
      put32(b, o + 108, v.flags >>> 0);
      b[o + 144] = v.rsc.ipv4Enabled ? 1 : 0;
      b[o + 145] = v.rsc.ipv6Enabled ? 1 : 0;
      writeNdisOffloadEncapsulated(b, o, v, revision);
      return size;
    },
    decode(b, o, length) {
      const n = readable(b, o, length);
      const rev = checkRevisionedHeader(name, b, o, n, NDIS_OBJECT_TYPE_OFFLOAD, sizes);
      if (typeof rev !== 'number') return rev;
      const l1w = u32(b, o + 48);
      const l6w = u32(b, o + 104);
      return ok({
        checksum: {
          ipv4Transmit: readChecksumDirection(b, o + 4, true),
          ipv4Receive: readChecksumDirection(b, o + 12, true),
          ipv6Transmit: readChecksumDirection(b, o + 20, false),
          ipv6Receive: readChecksumDirection(b, o + 28, false),
        },
        lsoV1: {
          ipv4: { encapsulation: u32(b, o + 36), maxOffLoadSize: u32(b, o + 40), minSegmentCount: u32(b, o + 44), tcpOptions: bits2(l1w, 0), ipOptions: bits2(l1w, 2) },
        },
        lsoV2: {
          ipv4: readLsoV2Family(b, o + 80),
          ipv6: { ...readLsoV2Family(b, o + 92), ipExtensionHeadersSupported: bits2(l6w, 0), tcpOptionsSupported: bits2(l6w, 2) },
        },
        rsc: rev >= NDIS_OFFLOAD_REVISION_3 ? { ipv4Enabled: b[o + 144] !== 0, ipv6Enabled: b[o + 145] !== 0 } : { ipv4Enabled: false, ipv6Enabled: false },
        flags: u32(b, o + 108),
        ...(rev >= NDIS_OFFLOAD_REVISION_6 ? { uso: readUdpSegmentationOffload(b, o + NDIS_OFFLOAD_UDP_SEGMENTATION_OFFSET) } : {}),
        ...(rev >= NDIS_OFFLOAD_REVISION_3 ? readNdisOffloadEncapsulated(b, o, rev) : {}),
      });
    },
  };
}

/**
 * NDIS_OFFLOAD_PARAMETERS, written as REVISION_3 (26 bytes) or 4 (32); revisions 1 (20) and 2 (22) are read with
 * the later fields NO_CHANGE.
 *
 *   0 Header  4 IPv4Checksum  5 TCPIPv4Checksum  6 UDPIPv4Checksum  7 TCPIPv6Checksum  8 UDPIPv6Checksum
 *   9 LsoV1  10 IPsecV1  11 LsoV2IPv4  12 LsoV2IPv6  13 TcpConnectionIPv4  14 TcpConnectionIPv6  (1 byte
 *   padding)  16 Flags  (end of revision 1)  20 IPsecV2  21 IPsecV2IPv4  (end of revision 2)  22 RscIPv4
 *   23 RscIPv6  24 EncapsulatedPacketTaskOffload  25 EncapsulationTypes  (end of revision 3)  (2 bytes
 *   padding)  28 EncapsulationProtocolParameters.VxlanParameters.VxlanUDPPortNumber (a ULONG union; end of
 *   revision 4 at 32, written when the value sets a port)
 */
export const offloadParametersCodec: OidCodec<NdisOffloadParameters> = (() => {
  const name = oidName(O.OID_TCP_OFFLOAD_PARAMETERS);
  const sizes = [NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_1, NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_2, NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_3, NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_4, NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5] as const;
  // Revision 5 when the value sets USO, else 4 when it sets a VXLAN port (EncapsulationProtocolParameters), else 3.
  const sizeOf = (v: NdisOffloadParameters): number =>
    offloadParametersUsoSize(v) ?? ((v.vxlanUdpPortNumber ?? 0) !== 0 ? NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_4 : NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_3);
  const bytes = ['ipv4Checksum', 'tcpIpv4Checksum', 'udpIpv4Checksum', 'tcpIpv6Checksum', 'udpIpv6Checksum', 'lsoV1', 'ipsecV1', 'lsoV2IPv4', 'lsoV2IPv6', 'tcpConnectionIPv4', 'tcpConnectionIPv6'] as const;
  return {
    oid: O.OID_TCP_OFFLOAD_PARAMETERS,
    name,
    minLength: NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_1,
    encodedLength: sizeOf,
    encode(v, b, o) {
      const size = sizeOf(v);
      const r4 = size >= NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_4;
      const revision = size === NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5 ? NDIS_OFFLOAD_PARAMETERS_REVISION_5 : r4 ? NDIS_OFFLOAD_PARAMETERS_REVISION_4 : NDIS_OFFLOAD_PARAMETERS_REVISION_3;
      b.fill(0, o, o + size);
      writeHeader(b, o, { type: NDIS_OBJECT_TYPE_DEFAULT, revision, size });
      if (size === NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5) writeOffloadParametersUso(b, o, v);
      for (let i = 0; i < bytes.length; i++) b[o + 4 + i] = v[bytes[i]!] & 0xff;
      put32(b, o + 16, v.flags >>> 0);
      b[o + 20] = v.ipsecV2 & 0xff;
      b[o + 21] = v.ipsecV2IPv4 & 0xff;
      b[o + 22] = v.rscIPv4 & 0xff;
      b[o + 23] = v.rscIPv6 & 0xff;
      b[o + 24] = v.encapsulatedPacketTaskOffload & 0xff;
      b[o + 25] = v.encapsulationTypes & 0xff;
      if (r4) put16(b, o + NDIS_OFFLOAD_PARAMETERS_ENCAPSULATION_PROTOCOL_OFFSET, v.vxlanUdpPortNumber ?? 0);
      return size;
    },
    decode(b, o, length) {
      const n = readable(b, o, length);
      const rev = checkRevisionedHeader(name, b, o, n, NDIS_OBJECT_TYPE_DEFAULT, sizes);
      if (typeof rev !== 'number') return rev;
      const v: Record<string, number> = {};
      for (let i = 0; i < bytes.length; i++) v[bytes[i]!] = b[o + 4 + i]!;
      const r2 = rev >= NDIS_OFFLOAD_PARAMETERS_REVISION_2;
      const r3 = rev >= NDIS_OFFLOAD_PARAMETERS_REVISION_3;
      return ok({
        ...(v as Record<(typeof bytes)[number], number>),
        flags: u32(b, o + 16),
        ipsecV2: r2 ? b[o + 20]! : 0,
        ipsecV2IPv4: r2 ? b[o + 21]! : 0,
        rscIPv4: r3 ? b[o + 22]! : 0,
        rscIPv6: r3 ? b[o + 23]! : 0,
        encapsulatedPacketTaskOffload: r3 ? b[o + 24]! : 0,
        encapsulationTypes: r3 ? b[o + 25]! : 0,
        ...(rev >= NDIS_OFFLOAD_PARAMETERS_REVISION_5 ? readOffloadParametersUso(b, o) : {}),
        ...(rev >= NDIS_OFFLOAD_PARAMETERS_REVISION_4 && u16(b, o + NDIS_OFFLOAD_PARAMETERS_ENCAPSULATION_PROTOCOL_OFFSET) !== 0
          ? { vxlanUdpPortNumber: u16(b, o + NDIS_OFFLOAD_PARAMETERS_ENCAPSULATION_PROTOCOL_OFFSET) }
          : {}),
      });
    },
  };
})();

// ------------------------------------------------------------------------------------------------------
// USO revisions (NDIS_OFFLOAD revision 6, NDIS_OFFLOAD_PARAMETERS revision 5) and the IPsec sub-structures.
// A value with `uso` is written as NDIS_OFFLOAD revision 6 (216 bytes); one with a USO parameter as
// NDIS_OFFLOAD_PARAMETERS revision 5 (34 bytes). Fields of the revisions in between that tsndis does not
// model (encapsulated-packet offload, 464XLAT, the VXLAN port) are written as zeros.
//
//   NDIS_OFFLOAD: 156 EncapsulatedPacketTaskOffloadVxlan (20)  176 EncapsulationTypes  (end of revision 4
//   at 177)  180 Rfc6877Xlat {XlatOffload, Flags}  (end of revision 5 at 188)  188 UdpSegmentation:
//   IPv4 {Encapsulation, MaxOffLoadSize, MinSegmentCount:6 SubMssFinalSegmentSupported:1}  200 IPv6
//   {Encapsulation, MaxOffLoadSize, MinSegmentCount:6 SubMssFinalSegmentSupported:1,
//   IpExtensionHeadersSupported:2}  (end of revisions 6 and 7 at 216)
//   NDIS_OFFLOAD_PARAMETERS: 26 (2 bytes padding)  28 EncapsulationProtocolParameters (ULONG)  (end of
//   revision 4 at 32)  32 UdpSegmentation.IPv4  33 UdpSegmentation.IPv6  (end of revision 5 at 34)
// ------------------------------------------------------------------------------------------------------

const NDIS_OFFLOAD_USO_SIZES = [NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_5, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_7] as const;

/** The NDIS_OFFLOAD size needed for `v`'s USO part, or undefined when it has none. */
function ndisOffloadUsoSize(v: NdisOffload): number | undefined {
  return v.uso === undefined ? undefined : NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6;
}

function offloadParametersUsoSize(v: NdisOffloadParameters): number | undefined {
  return (v.udpSegmentationIPv4 ?? 0) !== 0 || (v.udpSegmentationIPv6 ?? 0) !== 0 ? NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5 : undefined;
}

function writeOffloadParametersUso(b: Uint8Array, o: number, v: NdisOffloadParameters): void {
  b[o + 32] = (v.udpSegmentationIPv4 ?? 0) & 0xff;
  b[o + 33] = (v.udpSegmentationIPv6 ?? 0) & 0xff;
}

function readOffloadParametersUso(b: Uint8Array, o: number): Pick<NdisOffloadParameters, 'udpSegmentationIPv4' | 'udpSegmentationIPv6'> {
  return { udpSegmentationIPv4: b[o + 32]!, udpSegmentationIPv6: b[o + 33]! };
}

function writeUsoFamily(b: Uint8Array, o: number, f: UdpSegmentationOffloadFamily): void {
  put32(b, o, f.encapsulation >>> 0);
  put32(b, o + 4, f.maxOffLoadSize >>> 0);
  put32(b, o + 8, (f.minSegmentCount & 0x3f) | ((f.subMssFinalSegmentSupported ? 1 : 0) << 6));
}

function readUsoFamily(b: Uint8Array, o: number): UdpSegmentationOffloadFamily {
  const w = u32(b, o + 8);
  return { encapsulation: u32(b, o), maxOffLoadSize: u32(b, o + 4), minSegmentCount: w & 0x3f, subMssFinalSegmentSupported: ((w >>> 6) & 1) !== 0 };
}

/** NDIS_UDP_SEGMENTATION_OFFLOAD (28 bytes) at `o`. */
export function writeUdpSegmentationOffload(b: Uint8Array, o: number, v: UdpSegmentationOffload): void {
  writeUsoFamily(b, o, v.ipv4);
  writeUsoFamily(b, o + 12, v.ipv6);
  put32(b, o + 24, v.ipv6.ipExtensionHeadersSupported ? 1 : 0);
}

export function readUdpSegmentationOffload(b: Uint8Array, o: number): UdpSegmentationOffload {
  return { ipv4: readUsoFamily(b, o), ipv6: { ...readUsoFamily(b, o + 12), ipExtensionHeadersSupported: bits2(u32(b, o + 24), 0) } };
}

/** NDIS_IPSEC_OFFLOAD_V1 (28 bytes) at `o`; every 2-bit field is masked to its width. */
export function writeIpsecOffloadV1(b: Uint8Array, o: number, v: IpsecOffloadV1): void {
  const s = v.supported;
  put32(b, o, s.encapsulation >>> 0);
  put32(b, o + 4, s.ahEspCombined >>> 0);
  put32(b, o + 8, s.transportTunnelCombined >>> 0);
  put32(b, o + 12, s.ipv4Options >>> 0);
  put32(b, o + 16, s.flags >>> 0);
  const pack = (xs: readonly number[]): number => xs.reduce((w, x, i) => w | ((x & 3) << (2 * i)), 0) >>> 0;
  const ah = v.ipv4Ah;
  put32(b, o + 20, pack([ah.md5, ah.sha1, ah.transport, ah.tunnel, ah.send, ah.receive]));
  const e = v.ipv4Esp;
  put32(b, o + 24, pack([e.des, e.reserved, e.tripleDes, e.nullEsp, e.transport, e.tunnel, e.send, e.receive]));
}

export function readIpsecOffloadV1(b: Uint8Array, o: number): IpsecOffloadV1 {
  const ah = u32(b, o + 20);
  const e = u32(b, o + 24);
  const f = (w: number, i: number): number => (w >>> (2 * i)) & 3;
  return {
    supported: { encapsulation: u32(b, o), ahEspCombined: u32(b, o + 4), transportTunnelCombined: u32(b, o + 8), ipv4Options: u32(b, o + 12), flags: u32(b, o + 16) },
    ipv4Ah: { md5: f(ah, 0), sha1: f(ah, 1), transport: f(ah, 2), tunnel: f(ah, 3), send: f(ah, 4), receive: f(ah, 5) },
    ipv4Esp: { des: f(e, 0), reserved: f(e, 1), tripleDes: f(e, 2), nullEsp: f(e, 3), transport: f(e, 4), tunnel: f(e, 5), send: f(e, 6), receive: f(e, 7) },
  };
}

const IPSEC_V2_BOOLEANS = ['ipv6Supported', 'ipv4Options', 'ipv6NonIPsecExtensionHeaders', 'ah', 'esp', 'ahEspCombined', 'transport', 'tunnel', 'transportTunnelCombined', 'lsoSupported', 'extendedSequenceNumbers'] as const;

/** NDIS_IPSEC_OFFLOAD_V2 (32 bytes): 0 Encapsulation, 4–14 eleven BOOLEANs, (1 byte padding), 16 UdpEsp, 20 AuthenticationAlgorithms, 24 EncryptionAlgorithms, 28 SaOffloadCapacity. */
export function writeIpsecOffloadV2(b: Uint8Array, o: number, v: IpsecOffloadV2): void {
  put32(b, o, v.encapsulation >>> 0);
  for (let i = 0; i < IPSEC_V2_BOOLEANS.length; i++) b[o + 4 + i] = v[IPSEC_V2_BOOLEANS[i]!] ? 1 : 0;
  b[o + 15] = 0;
  put32(b, o + 16, v.udpEsp >>> 0);
  put32(b, o + 20, v.authenticationAlgorithms >>> 0);
  put32(b, o + 24, v.encryptionAlgorithms >>> 0);
  put32(b, o + 28, v.saOffloadCapacity >>> 0);
}

export function readIpsecOffloadV2(b: Uint8Array, o: number): IpsecOffloadV2 {
  const flags = Object.fromEntries(IPSEC_V2_BOOLEANS.map((k, i) => [k, b[o + 4 + i] !== 0])) as Record<(typeof IPSEC_V2_BOOLEANS)[number], boolean>;
  return { encapsulation: u32(b, o), ...flags, udpEsp: u32(b, o + 16), authenticationAlgorithms: u32(b, o + 20), encryptionAlgorithms: u32(b, o + 24), saOffloadCapacity: u32(b, o + 28) };
}

/**
 * NDIS_OFFLOAD_ENCAPSULATION (REVISION_1, 28 bytes, Header.Type NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION):
 *   0 Header  4 IPv4 {Enabled, EncapsulationType, HeaderSize}  16 IPv6 {Enabled, EncapsulationType, HeaderSize}
 */
export const offloadEncapsulationCodec: OidCodec<NdisOffloadEncapsulation> = structCodec(
  O.OID_OFFLOAD_ENCAPSULATION,
  { type: NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION, revision: NDIS_OFFLOAD_ENCAPSULATION_REVISION_1, size: NDIS_SIZEOF_OFFLOAD_ENCAPSULATION_REVISION_1 },
  (b, o, v) => {
    const fam = (at: number, f: OffloadEncapsulationFamily): void => {
      put32(b, at, f.enabled >>> 0);
      put32(b, at + 4, f.encapsulationType >>> 0);
      put32(b, at + 8, f.headerSize >>> 0);
    };
    fam(o + 4, v.ipv4);
    fam(o + 16, v.ipv6);
  },
  (b, o) => {
    const fam = (at: number): OffloadEncapsulationFamily => ({ enabled: u32(b, at), encapsulationType: u32(b, at + 4), headerSize: u32(b, at + 8) });
    return { ipv4: fam(o + 4), ipv6: fam(o + 16) };
  },
);

/** NDIS_RSC_STATISTICS_INFO (40 bytes): 0 Header  8 CoalescedPkts  16 CoalescedOctets  24 CoalesceEvents  32 Aborts. */
export const rscStatisticsCodec: OidCodec<NdisRscStatisticsInfo> = structCodec(
  O.OID_TCP_RSC_STATISTICS,
  { type: NDIS_OBJECT_TYPE_DEFAULT, revision: NDIS_RSC_STATISTICS_REVISION_1, size: NDIS_SIZEOF_RSC_STATISTICS_REVISION_1 },
  (b, o, v) => {
    put32(b, o + 4, 0);
    put64(b, o + 8, v.coalescedPkts);
    put64(b, o + 16, v.coalescedOctets);
    put64(b, o + 24, v.coalesceEvents);
    put64(b, o + 32, v.aborts);
  },
  (b, o) => ({ coalescedPkts: u64(b, o + 8), coalescedOctets: u64(b, o + 16), coalesceEvents: u64(b, o + 24), aborts: u64(b, o + 32) }),
);

/** The NDIS_OFFLOAD answers: OID_TCP_OFFLOAD_CURRENT_CONFIG (NDIS) and OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES (miniport). */
export const offloadCurrentConfigCodec = ndisOffloadCodec(O.OID_TCP_OFFLOAD_CURRENT_CONFIG);
export const offloadHardwareCapabilitiesCodec = ndisOffloadCodec(O.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES);

// ======================================================================================================
// Named codecs the runtime uses directly
// ======================================================================================================

export const supportedListCodec = ulongArrayCodec(O.OID_GEN_SUPPORTED_LIST);
export const vendorDescriptionCodec = asciiStringCodec(O.OID_GEN_VENDOR_DESCRIPTION);
export const driverVersionCodec = ushortCodec(O.OID_GEN_DRIVER_VERSION);
export const multicastListCodec = macAddressListCodec(O.OID_802_3_MULTICAST_LIST);
export const packetFilterCodec = ulongCodec(O.OID_GEN_CURRENT_PACKET_FILTER);
export const currentLookaheadCodec = ulongCodec(O.OID_GEN_CURRENT_LOOKAHEAD);
/** NDIS_DEVICE_POWER_STATE (ULONG); the value is not range-checked here. */
export const setPowerCodec = ulongCodec(O.OID_PNP_SET_POWER);
export const queryPowerCodec = ulongCodec(O.OID_PNP_QUERY_POWER);

/** ULONG-valued OIDs. MEDIA_SUPPORTED / MEDIA_IN_USE are NDIS_MEDIUM arrays in name only: one ULONG. */
const ULONG_OIDS = [
  O.OID_GEN_HARDWARE_STATUS,
  O.OID_GEN_MEDIA_SUPPORTED,
  O.OID_GEN_MEDIA_IN_USE,
  O.OID_GEN_MAXIMUM_LOOKAHEAD,
  O.OID_GEN_MAXIMUM_FRAME_SIZE,
  O.OID_GEN_LINK_SPEED,
  O.OID_GEN_TRANSMIT_BUFFER_SPACE,
  O.OID_GEN_RECEIVE_BUFFER_SPACE,
  O.OID_GEN_TRANSMIT_BLOCK_SIZE,
  O.OID_GEN_RECEIVE_BLOCK_SIZE,
  O.OID_GEN_VENDOR_ID,
  O.OID_GEN_MAXIMUM_TOTAL_SIZE,
  O.OID_GEN_MAC_OPTIONS,
  O.OID_GEN_MEDIA_CONNECT_STATUS,
  O.OID_GEN_VENDOR_DRIVER_VERSION,
  O.OID_GEN_PHYSICAL_MEDIUM,
  O.OID_GEN_PHYSICAL_MEDIUM_EX,
  O.OID_GEN_VLAN_ID,
  O.OID_GEN_TRANSMIT_QUEUE_LENGTH,
  O.OID_802_3_MAXIMUM_LIST_SIZE,
  O.OID_802_3_MAC_OPTIONS,
] as const;

/** Statistics counters (4- or 8-byte answers). The 802.3 ones are ULONG in the docs; the wider form is harmless. */
export const COUNTER_OIDS = [
  O.OID_GEN_XMIT_OK,
  O.OID_GEN_RCV_OK,
  O.OID_GEN_XMIT_ERROR,
  O.OID_GEN_RCV_ERROR,
  O.OID_GEN_RCV_NO_BUFFER,
  O.OID_GEN_DIRECTED_BYTES_XMIT,
  O.OID_GEN_DIRECTED_FRAMES_XMIT,
  O.OID_GEN_MULTICAST_BYTES_XMIT,
  O.OID_GEN_MULTICAST_FRAMES_XMIT,
  O.OID_GEN_BROADCAST_BYTES_XMIT,
  O.OID_GEN_BROADCAST_FRAMES_XMIT,
  O.OID_GEN_DIRECTED_BYTES_RCV,
  O.OID_GEN_DIRECTED_FRAMES_RCV,
  O.OID_GEN_MULTICAST_BYTES_RCV,
  O.OID_GEN_MULTICAST_FRAMES_RCV,
  O.OID_GEN_BROADCAST_BYTES_RCV,
  O.OID_GEN_BROADCAST_FRAMES_RCV,
  O.OID_GEN_RCV_CRC_ERROR,
  O.OID_GEN_BYTES_RCV,
  O.OID_GEN_BYTES_XMIT,
  O.OID_GEN_RCV_DISCARDS,
  O.OID_GEN_XMIT_DISCARDS,
  O.OID_802_3_RCV_ERROR_ALIGNMENT,
  O.OID_802_3_XMIT_ONE_COLLISION,
  O.OID_802_3_XMIT_MORE_COLLISIONS,
  O.OID_802_3_XMIT_DEFERRED,
  O.OID_802_3_XMIT_MAX_COLLISIONS,
  O.OID_802_3_RCV_OVERRUN,
  O.OID_802_3_XMIT_UNDERRUN,
  O.OID_802_3_XMIT_HEARTBEAT_FAILURE,
  O.OID_802_3_XMIT_TIMES_CRS_LOST,
  O.OID_802_3_XMIT_LATE_COLLISIONS,
] as const;

const MAC_ADDRESS_OIDS = [
  O.OID_GEN_MAC_ADDRESS,
  O.OID_802_3_PERMANENT_ADDRESS,
  O.OID_802_3_CURRENT_ADDRESS,
  O.OID_802_3_ADD_MULTICAST_ADDRESS,
  O.OID_802_3_DELETE_MULTICAST_ADDRESS,
] as const;

export const OID_CODECS: ReadonlyMap<number, OidCodec<unknown>> = new Map<number, OidCodec<unknown>>([
  ...ULONG_OIDS.map((oid) => [oid, ulongCodec(oid)] as const),
  ...COUNTER_OIDS.map((oid) => [oid, counterCodec(oid)] as const),
  ...MAC_ADDRESS_OIDS.map((oid) => [oid, macAddressCodec(oid)] as const),
  ...[
    packetFilterCodec,
    currentLookaheadCodec,
    driverVersionCodec,
    vendorDescriptionCodec,
    supportedListCodec,
    multicastListCodec,
    linkStateCodec,
    linkParametersCodec,
    maxLinkSpeedCodec,
    interruptModerationCodec,
    statisticsCodec,
    setPowerCodec,
    queryPowerCodec,
    offloadCurrentConfigCodec,
    offloadHardwareCapabilitiesCodec,
    offloadParametersCodec,
    offloadEncapsulationCodec,
    rscStatisticsCodec,
    receiveScaleCapabilitiesCodec,
    receiveScaleParametersCodec,
    hdSplitParametersCodec,
    hdSplitCurrentConfigCodec,
  ].map((c) => [c.oid, c as OidCodec<unknown>] as const),
]);

/** Encodes into a fresh, exactly sized buffer (control path: tests, CLI, RNDIS). */
export function encodeToBytes<T>(codec: OidCodec<T>, value: T): Uint8Array {
  const out = new Uint8Array(codec.encodedLength(value));
  codec.encode(value, out, 0);
  return out;
}

// ======================================================================================================
// OID_INFO: who may query/set each OID, whether NDIS answers it for NDIS 6 miniports, and whether a
// miniport must support it. "mandatory" follows the ntddndis.h Mandatory/Optional groupings for the
// general and 802.3 OIDs plus the spec's "required" marks (LINK_PARAMETERS, INTERRUPT_MODERATION,
// STATISTICS); it describes an Ethernet miniport. OID_PNP_* are required only of PM-capable miniports.
// ======================================================================================================

export interface OidInfo {
  readonly name: string;
  readonly query: boolean;
  readonly set: boolean;
  /** Issued as NdisRequestMethod. */
  readonly method: boolean;
  /** NDIS answers from its cached attributes; an NDIS 6 miniport never sees the request. */
  readonly answeredByNdis: boolean;
  readonly mandatory: boolean;
}

type Access = 'Q' | 'S' | 'QS' | 'M';
const NDIS = 1;
const MANDATORY = 2;

const INFO_TABLE: ReadonlyArray<readonly [number, Access, number]> = [
  [O.OID_GEN_SUPPORTED_LIST, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_HARDWARE_STATUS, 'Q', MANDATORY],
  [O.OID_GEN_MEDIA_SUPPORTED, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_MEDIA_IN_USE, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_MAXIMUM_LOOKAHEAD, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_MAXIMUM_FRAME_SIZE, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_LINK_SPEED, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_TRANSMIT_BUFFER_SPACE, 'Q', MANDATORY],
  [O.OID_GEN_RECEIVE_BUFFER_SPACE, 'Q', MANDATORY],
  [O.OID_GEN_TRANSMIT_BLOCK_SIZE, 'Q', MANDATORY],
  [O.OID_GEN_RECEIVE_BLOCK_SIZE, 'Q', MANDATORY],
  [O.OID_GEN_VENDOR_ID, 'Q', MANDATORY],
  [O.OID_GEN_VENDOR_DESCRIPTION, 'Q', MANDATORY],
  [O.OID_GEN_CURRENT_PACKET_FILTER, 'QS', MANDATORY],
  [O.OID_GEN_CURRENT_LOOKAHEAD, 'QS', MANDATORY],
  [O.OID_GEN_DRIVER_VERSION, 'Q', MANDATORY],
  [O.OID_GEN_MAXIMUM_TOTAL_SIZE, 'Q', MANDATORY],
  [O.OID_GEN_MAC_OPTIONS, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_MEDIA_CONNECT_STATUS, 'Q', NDIS | MANDATORY],
  [O.OID_GEN_VENDOR_DRIVER_VERSION, 'Q', MANDATORY],
  [O.OID_GEN_SUPPORTED_GUIDS, 'Q', 0],
  [O.OID_GEN_PHYSICAL_MEDIUM, 'Q', NDIS],
  [O.OID_GEN_PHYSICAL_MEDIUM_EX, 'Q', NDIS],
  [O.OID_GEN_RECEIVE_SCALE_CAPABILITIES, 'Q', 0],
  [O.OID_GEN_RECEIVE_SCALE_PARAMETERS, 'QS', 0],
  [O.OID_GEN_RECEIVE_SCALE_PARAMETERS_V2, 'QS', 0],
  [O.OID_GEN_VLAN_ID, 'QS', 0],
  [O.OID_GEN_RECEIVE_HASH, 'QS', 0],
  [O.OID_GEN_RSS_SET_INDIRECTION_TABLE_ENTRIES, 'M', 0],
  [O.OID_GEN_MAC_ADDRESS, 'QS', NDIS],
  [O.OID_GEN_MAX_LINK_SPEED, 'Q', NDIS],
  [O.OID_GEN_LINK_STATE, 'Q', NDIS],
  [O.OID_GEN_LINK_PARAMETERS, 'S', MANDATORY],
  [O.OID_GEN_INTERRUPT_MODERATION, 'QS', MANDATORY],
  [O.OID_GEN_ENUMERATE_PORTS, 'Q', NDIS],
  [O.OID_GEN_PORT_STATE, 'Q', NDIS],
  [O.OID_GEN_PORT_AUTHENTICATION_PARAMETERS, 'S', 0],
  [O.OID_GEN_XMIT_OK, 'Q', MANDATORY],
  [O.OID_GEN_RCV_OK, 'Q', MANDATORY],
  [O.OID_GEN_XMIT_ERROR, 'Q', MANDATORY],
  [O.OID_GEN_RCV_ERROR, 'Q', MANDATORY],
  [O.OID_GEN_RCV_NO_BUFFER, 'Q', MANDATORY],
  [O.OID_GEN_STATISTICS, 'Q', MANDATORY],
  [O.OID_GEN_DIRECTED_BYTES_XMIT, 'Q', 0],
  [O.OID_GEN_DIRECTED_FRAMES_XMIT, 'Q', 0],
  [O.OID_GEN_MULTICAST_BYTES_XMIT, 'Q', 0],
  [O.OID_GEN_MULTICAST_FRAMES_XMIT, 'Q', 0],
  [O.OID_GEN_BROADCAST_BYTES_XMIT, 'Q', 0],
  [O.OID_GEN_BROADCAST_FRAMES_XMIT, 'Q', 0],
  [O.OID_GEN_DIRECTED_BYTES_RCV, 'Q', 0],
  [O.OID_GEN_DIRECTED_FRAMES_RCV, 'Q', 0],
  [O.OID_GEN_MULTICAST_BYTES_RCV, 'Q', 0],
  [O.OID_GEN_MULTICAST_FRAMES_RCV, 'Q', 0],
  [O.OID_GEN_BROADCAST_BYTES_RCV, 'Q', 0],
  [O.OID_GEN_BROADCAST_FRAMES_RCV, 'Q', 0],
  [O.OID_GEN_RCV_CRC_ERROR, 'Q', 0],
  [O.OID_GEN_TRANSMIT_QUEUE_LENGTH, 'Q', 0],
  [O.OID_GEN_BYTES_RCV, 'Q', 0],
  [O.OID_GEN_BYTES_XMIT, 'Q', 0],
  [O.OID_GEN_RCV_DISCARDS, 'Q', 0],
  [O.OID_GEN_XMIT_DISCARDS, 'Q', 0],
  [O.OID_PNP_CAPABILITIES, 'Q', 0],
  [O.OID_PNP_SET_POWER, 'S', 0],
  [O.OID_PNP_QUERY_POWER, 'Q', 0],
  [O.OID_802_3_PERMANENT_ADDRESS, 'Q', MANDATORY],
  [O.OID_802_3_CURRENT_ADDRESS, 'Q', MANDATORY],
  [O.OID_802_3_MULTICAST_LIST, 'QS', MANDATORY],
  [O.OID_802_3_MAXIMUM_LIST_SIZE, 'Q', MANDATORY],
  [O.OID_802_3_MAC_OPTIONS, 'Q', 0],
  [O.OID_802_3_RCV_ERROR_ALIGNMENT, 'Q', MANDATORY],
  [O.OID_802_3_XMIT_ONE_COLLISION, 'Q', MANDATORY],
  [O.OID_802_3_XMIT_MORE_COLLISIONS, 'Q', MANDATORY],
  [O.OID_802_3_XMIT_DEFERRED, 'Q', 0],
  [O.OID_802_3_XMIT_MAX_COLLISIONS, 'Q', 0],
  [O.OID_802_3_RCV_OVERRUN, 'Q', 0],
  [O.OID_802_3_XMIT_UNDERRUN, 'Q', 0],
  [O.OID_802_3_XMIT_HEARTBEAT_FAILURE, 'Q', 0],
  [O.OID_802_3_XMIT_TIMES_CRS_LOST, 'Q', 0],
  [O.OID_802_3_XMIT_LATE_COLLISIONS, 'Q', 0],
  [O.OID_802_3_ADD_MULTICAST_ADDRESS, 'S', 0],
  [O.OID_802_3_DELETE_MULTICAST_ADDRESS, 'S', 0],
  // Task offload (offload digest §1.5): NDIS answers the current configuration from the miniport's
  // offload attributes and NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG; the rest reach the miniport.
  [O.OID_OFFLOAD_ENCAPSULATION, 'QS', 0],
  [O.OID_TCP_OFFLOAD_CURRENT_CONFIG, 'Q', NDIS],
  [O.OID_TCP_OFFLOAD_PARAMETERS, 'S', 0],
  [O.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, 'Q', 0],
  [O.OID_TCP_RSC_STATISTICS, 'Q', 0],
  // Header-data split (offload digest §5): the miniport answers both.
  [O.OID_GEN_HD_SPLIT_PARAMETERS, 'S', 0],
  [O.OID_GEN_HD_SPLIT_CURRENT_CONFIG, 'Q', 0],
];

export const OID_INFO: ReadonlyMap<number, OidInfo> = new Map(
  INFO_TABLE.map(([oid, access, flags]) => [
    oid,
    Object.freeze({
      name: oidName(oid),
      query: access === 'Q' || access === 'QS',
      set: access === 'S' || access === 'QS',
      method: access === 'M',
      answeredByNdis: (flags & NDIS) !== 0,
      mandatory: (flags & MANDATORY) !== 0,
    }),
  ]),
);
