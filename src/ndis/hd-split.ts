/**
 * Header-data split (offload digest §5, §2.7): the three structures, their flags and their codecs.
 *
 *   NDIS_HD_SPLIT_ATTRIBUTES (24 bytes, Header.Type NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES, rev 1):
 *     0 Header  4 HardwareCapabilities  8 CurrentCapabilities   (in: the miniport)
 *     12 HDSplitFlags  16 BackfillSize  20 MaxHeaderSize          (out: filled by NDIS)
 *   NDIS_HD_SPLIT_PARAMETERS (8 bytes, DEFAULT, rev 1; OID_GEN_HD_SPLIT_PARAMETERS, set):
 *     0 Header  4 HDSplitCombineFlags
 *   NDIS_HD_SPLIT_CURRENT_CONFIG (28 bytes, DEFAULT, rev 1; OID_GEN_HD_SPLIT_CURRENT_CONFIG, query, and
 *   the payload of NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG):
 *     0 Header  4 HardwareCapabilities  8 CurrentCapabilities  12 HDSplitFlags  16 HDSplitCombineFlags
 *     20 BackfillSize  24 MaxHeaderSize
 *
 * The codecs check the header like the other structure codecs (codec-bytes.ts): too few bytes or a
 * Header.Size below the revision-1 size → NDIS_STATUS_INVALID_LENGTH with bytesNeeded, a wrong
 * Header.Type → NDIS_STATUS_INVALID_PARAMETER, Revision 0 → NDIS_STATUS_UNSUPPORTED_REVISION. Whether a
 * decoded parameters set is acceptable (unknown combine flags) is `validateHdSplitParameters`.
 */
import { checkRevisionedHeader, ok, put32, readable, u32, writeHeader, type HeaderSpec } from './codec-bytes.js';
import { NDIS_OBJECT_TYPE_DEFAULT, NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES } from './constants.js';
import type { OidCodec } from './oid-codec-types.js';
import { OID_GEN_HD_SPLIT_CURRENT_CONFIG, OID_GEN_HD_SPLIT_PARAMETERS } from './oids.js';
import { NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_SUCCESS, type NdisStatus } from './status.js';

/** HardwareCapabilities / CurrentCapabilities bits. */
export const NDIS_HD_SPLIT_CAPS_SUPPORTS_HEADER_DATA_SPLIT = 0x1;
export const NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV4_OPTIONS = 0x2;
export const NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV6_EXTENSION_HEADERS = 0x4;
export const NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS = 0x8;
/** HDSplitFlags: header-data split is enabled on the adapter. */
export const NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT = 0x1;
/** HDSplitCombineFlags: combine header and data (stop splitting) for every frame. */
export const NDIS_HD_SPLIT_COMBINE_ALL_HEADERS = 0x1;
/** Every combine flag this version knows; others in a set are refused. */
export const NDIS_HD_SPLIT_COMBINE_FLAGS_KNOWN = NDIS_HD_SPLIT_COMBINE_ALL_HEADERS;

export const NDIS_HD_SPLIT_ATTRIBUTES_REVISION_1 = 1;
export const NDIS_HD_SPLIT_PARAMETERS_REVISION_1 = 1;
export const NDIS_HD_SPLIT_CURRENT_CONFIG_REVISION_1 = 1;
export const NDIS_SIZEOF_HD_SPLIT_ATTRIBUTES_REVISION_1 = 24;
export const NDIS_SIZEOF_HD_SPLIT_PARAMETERS_REVISION_1 = 8;
export const NDIS_SIZEOF_HD_SPLIT_CURRENT_CONFIG_REVISION_1 = 28;

/** NDIS_HD_SPLIT_ATTRIBUTES: the miniport's capabilities in, NDIS's choices out. */
export interface NdisHdSplitAttributes {
  readonly hardwareCapabilities: number;
  readonly currentCapabilities: number;
  /** Out: NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT when the miniport must split. */
  readonly hdSplitFlags: number;
  /** Out: bytes of writable backfill the miniport keeps before each data buffer. */
  readonly backfillSize: number;
  /** Out: the largest header buffer (the first MDL of a split frame). */
  readonly maxHeaderSize: number;
}

/**
 * What a miniport passes to `setHdSplitAttributes`: its capabilities in; NDIS writes the three outputs
 * (the miniport reads them after the call).
 */
export interface MiniportHdSplitAttributes {
  readonly hardwareCapabilities: number;
  readonly currentCapabilities: number;
  hdSplitFlags: number;
  backfillSize: number;
  maxHeaderSize: number;
}

/**
 * tsndis's NDIS choices for a header-data split adapter. MaxHeaderSize: Ethernet + IPv4 with options +
 * TCP with timestamps (14 + 60 + 32 = 106) fits with room; longer headers split at the ULP header or not
 * at all. BackfillSize = MaxHeaderSize: any header buffer can be copied in front of its data, so a
 * receiver (or NDIS, for one that does not take split frames) rebuilds the frame in place.
 */
export const HD_SPLIT_MAX_HEADER_SIZE = 128;
export const HD_SPLIT_BACKFILL_SIZE = 128;

/** NDIS_HD_SPLIT_PARAMETERS (OID_GEN_HD_SPLIT_PARAMETERS). */
export interface NdisHdSplitParameters {
  readonly hdSplitCombineFlags: number;
}

/** NDIS_HD_SPLIT_CURRENT_CONFIG (OID_GEN_HD_SPLIT_CURRENT_CONFIG, NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG). */
export interface NdisHdSplitCurrentConfig {
  readonly hardwareCapabilities: number;
  readonly currentCapabilities: number;
  readonly hdSplitFlags: number;
  readonly hdSplitCombineFlags: number;
  readonly backfillSize: number;
  readonly maxHeaderSize: number;
}

/** A fixed-size structure of ULONGs after its header, read and written in field order. */
function ulongStruct<T>(oid: number, name: string, h: HeaderSpec, fields: readonly (keyof T & string)[]): OidCodec<T> {
  const sizes = [h.size];
  return {
    oid,
    name,
    minLength: h.size,
    encodedLength: () => h.size,
    encode(value, buf, offset) {
      writeHeader(buf, offset, h);
      for (let i = 0; i < fields.length; i++) put32(buf, offset + 4 + 4 * i, (value[fields[i]!] as number) >>> 0);
      return h.size;
    },
    decode(buf, offset, length) {
      const n = readable(buf, offset, length);
      const rev = checkRevisionedHeader(name, buf, offset, n, h.type, sizes);
      if (typeof rev !== 'number') return rev;
      const v: Record<string, number> = {};
      for (let i = 0; i < fields.length; i++) v[fields[i]!] = u32(buf, offset + 4 + 4 * i);
      return ok(v as T);
    },
  };
}

/**
 * NDIS_HD_SPLIT_ATTRIBUTES. Not an OID payload (it travels with NdisMSetMiniportAttributes), so `oid` is
 * 0; the codec has the OID codecs' shape so the same length and header checks apply.
 */
export const hdSplitAttributesCodec: OidCodec<NdisHdSplitAttributes> = ulongStruct(
  0,
  'NDIS_HD_SPLIT_ATTRIBUTES',
  { type: NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES, revision: NDIS_HD_SPLIT_ATTRIBUTES_REVISION_1, size: NDIS_SIZEOF_HD_SPLIT_ATTRIBUTES_REVISION_1 },
  ['hardwareCapabilities', 'currentCapabilities', 'hdSplitFlags', 'backfillSize', 'maxHeaderSize'],
);

export const hdSplitParametersCodec: OidCodec<NdisHdSplitParameters> = ulongStruct(
  OID_GEN_HD_SPLIT_PARAMETERS,
  'OID_GEN_HD_SPLIT_PARAMETERS',
  { type: NDIS_OBJECT_TYPE_DEFAULT, revision: NDIS_HD_SPLIT_PARAMETERS_REVISION_1, size: NDIS_SIZEOF_HD_SPLIT_PARAMETERS_REVISION_1 },
  ['hdSplitCombineFlags'],
);

export const hdSplitCurrentConfigCodec: OidCodec<NdisHdSplitCurrentConfig> = ulongStruct(
  OID_GEN_HD_SPLIT_CURRENT_CONFIG,
  'OID_GEN_HD_SPLIT_CURRENT_CONFIG',
  { type: NDIS_OBJECT_TYPE_DEFAULT, revision: NDIS_HD_SPLIT_CURRENT_CONFIG_REVISION_1, size: NDIS_SIZEOF_HD_SPLIT_CURRENT_CONFIG_REVISION_1 },
  ['hardwareCapabilities', 'currentCapabilities', 'hdSplitFlags', 'hdSplitCombineFlags', 'backfillSize', 'maxHeaderSize'],
);

/** A decoded OID_GEN_HD_SPLIT_PARAMETERS set: combine flags this version does not know → INVALID_PARAMETER. */
export function validateHdSplitParameters(p: NdisHdSplitParameters): NdisStatus {
  return (p.hdSplitCombineFlags & ~NDIS_HD_SPLIT_COMBINE_FLAGS_KNOWN) !== 0 ? NDIS_STATUS_INVALID_PARAMETER : NDIS_STATUS_SUCCESS;
}
