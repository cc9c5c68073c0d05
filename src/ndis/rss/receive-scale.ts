/**
 * NDIS_RECEIVE_SCALE_CAPABILITIES and NDIS_RECEIVE_SCALE_PARAMETERS (offload digest §3.4) in typed form,
 * with their flag words, revisions and sizes. The binary layouts are in ./codecs.ts; the rules a set must
 * follow are in ./settings.ts.
 *
 * Sizes are x64 and were checked against public SDK bindings: capabilities 16 (revision 1) and 18
 * (revisions 2 and 3, through NumberOfIndirectionTableEntries); parameters 28 / 40 / 44.
 */

// ======================================================================================================
// NDIS_RECEIVE_SCALE_CAPABILITIES (Header.Type NDIS_OBJECT_TYPE_RSS_CAPABILITIES)
// ======================================================================================================

/** Revision 2 (NDIS 6.30) adds NumberOfIndirectionTableEntries; revision 3 (6.60) adds no field. */
export const NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_1 = 1;
export const NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2 = 2;
export const NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_3 = 3;
export const NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_1 = 16;
export const NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_2 = 18;
export const NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_3 = 18;

/**
 * CapabilitiesFlags. The low byte holds the hash functions the NIC supports (NdisHashFunctionToeplitz);
 * the hash-type bits are capability bits, not NDIS_HASH_* values (UDP ones differ), and IPv4 2-tuple
 * hashing is implied.
 */
export const NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 = 0x00000100;
export const NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 = 0x00000200;
export const NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX = 0x00000400;
/** NDIS 6.80. */
export const NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4 = 0x00000800;
export const NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6 = 0x00001000;
export const NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX = 0x00002000;
export const NDIS_RSS_CAPS_MESSAGE_SIGNALED_INTERRUPTS = 0x01000000;
export const NDIS_RSS_CAPS_CLASSIFICATION_AT_ISR = 0x02000000;
export const NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC = 0x04000000;
export const NDIS_RSS_CAPS_USING_MSI_X = 0x08000000;
export const NDIS_RSS_CAPS_RSS_AVAILABLE_ON_PORTS = 0x10000000;
export const NDIS_RSS_CAPS_SUPPORTS_MSI_X = 0x20000000;
/** NDIS 6.80. */
export const NDIS_RSS_CAPS_SUPPORTS_INDEPENDENT_ENTRY_MOVE = 0x40000000;

export interface NdisReceiveScaleCapabilities {
  /** NDIS_RSS_CAPS_* bits | the supported hash functions (low byte). */
  readonly capabilitiesFlags: number;
  readonly numberOfInterruptMessages: number;
  readonly numberOfReceiveQueues: number;
  /**
   * Largest indirection table the miniport takes, in entries (a power of two ≤ 128). Revision 2+; a
   * revision-1 structure reads as 0, which the rules treat as the revision-1 maximum, 128.
   */
  readonly numberOfIndirectionTableEntries: number;
}

// ======================================================================================================
// NDIS_RECEIVE_SCALE_PARAMETERS (Header.Type NDIS_OBJECT_TYPE_RSS_PARAMETERS)
// ======================================================================================================

/**
 * Revision 1 (NDIS 6.0): indirection table of CCHAR processor numbers. Revision 2 (6.20): the table
 * holds PROCESSOR_NUMBER entries and the processor masks are added. Revision 3 (6.60): the default
 * processor is added.
 */
export const NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_1 = 1;
export const NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2 = 2;
export const NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3 = 3;
export const NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_1 = 28;
export const NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_2 = 40;
export const NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_3 = 44;

/** Flags (USHORT). The *_UNCHANGED flags let the miniport skip fields; DISABLE_RSS overrides everything else. */
export const NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED = 0x0001;
export const NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED = 0x0002;
export const NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED = 0x0004;
export const NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED = 0x0008;
export const NDIS_RSS_PARAM_FLAG_DISABLE_RSS = 0x0010;
/** NDIS 6.60. */
export const NDIS_RSS_PARAM_FLAG_DEFAULT_PROCESSOR_UNCHANGED = 0x0020;

/** Indirection table limits: 128 entries in every revision (128 bytes of CCHAR, then 512 of PROCESSOR_NUMBER). */
export const NDIS_RSS_INDIRECTION_TABLE_SIZE_REVISION_1 = 128;
export const NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_1 = 128;
export const NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_2 = 128 * 4;
export const NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_3 = 128 * 4;
/** Secret key limits: 40 bytes (320 bits) in every revision, the Toeplitz key size. */
export const NDIS_RSS_HASH_SECRET_KEY_SIZE_REVISION_1 = 40;
export const NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_1 = 40;
export const NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_2 = 40;
export const NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_3 = 40;

/** Most entries an indirection table has in any revision. */
export const RSS_INDIRECTION_TABLE_MAX_ENTRIES = 128;

/** sizeof(PROCESSOR_NUMBER) and sizeof(GROUP_AFFINITY) on x64. */
export const SIZEOF_PROCESSOR_NUMBER = 4;
export const SIZEOF_GROUP_AFFINITY = 16;
/** Processors in a processor group (bits of a 64-bit KAFFINITY); groups on 64-bit Windows. */
export const MAXIMUM_PROC_PER_GROUP = 64;
export const MAXIMUM_GROUPS = 32;
export const MAXIMUM_PROC_PER_SYSTEM = MAXIMUM_PROC_PER_GROUP * MAXIMUM_GROUPS;

/** PROCESSOR_NUMBER { USHORT Group; UCHAR Number; UCHAR Reserved; }. tsndis has one group, 0. */
export interface ProcessorNumber {
  readonly group: number;
  readonly number: number;
}

/** GROUP_AFFINITY { KAFFINITY Mask; USHORT Group; USHORT Reserved[3]; }: the processors of one group. */
export interface GroupAffinity {
  readonly mask: bigint;
  readonly group: number;
}

export interface NdisReceiveScaleParameters {
  /**
   * The structure revision (1–3): it decides the indirection table's entry format on the wire. Decode
   * reports the claimed one (capped at 3); encode writes it, 3 when absent.
   */
  readonly revision?: number;
  /** NDIS_RSS_PARAM_FLAG_* bits. */
  readonly flags: number;
  /** Legacy (revision 1); NDIS sets 0 because the table already holds absolute processor numbers. */
  readonly baseCpuNumber: number;
  /** Hash types | hash function (NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC); a zero function disables RSS. */
  readonly hashInformation: number;
  /**
   * One processor per entry (revision 1's CCHAR entries read as group 0). Empty when the flags say the
   * table is unchanged or RSS is being disabled: the miniport ignores the table then, so decode does not
   * read it.
   */
  readonly indirectionTable: readonly ProcessorNumber[];
  /** The secret key (40 bytes for Toeplitz); empty when unchanged or RSS is being disabled. */
  readonly hashSecretKey: Uint8Array;
  /** Revision 2+: the processors the table uses, one GROUP_AFFINITY per group. */
  readonly processorMasks: readonly GroupAffinity[];
  /** Revision 3: where frames without a hash go. Group 0, number 0 for older revisions. */
  readonly defaultProcessorNumber: ProcessorNumber;
}
