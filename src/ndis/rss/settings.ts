/**
 * A miniport's RSS settings and the rules an OID_GEN_RECEIVE_SCALE_PARAMETERS set must follow (offload
 * digest §3.1, §3.4). {@link applyReceiveScaleParameters} merges a request into the settings in force
 * (honouring the *_UNCHANGED flags) and checks the result; a request that breaks a rule fails with the
 * status below and leaves the previous settings in force, as NDIS requires.
 *
 * | Rule | Status |
 * |---|---|
 * | DISABLE_RSS, or a zero hash function | success: RSS off, nothing else read |
 * | HashInformation bits outside the type and function masks, more than one function bit | INVALID_PARAMETER |
 * | a function other than Toeplitz, or one the capabilities do not list | NOT_SUPPORTED |
 * | no hash type, an unknown type bit, or TCP + UDP of one set without its 2-tuple type | INVALID_PARAMETER |
 * | a hash type the capabilities do not advertise | NOT_SUPPORTED |
 * | secret key not 40 bytes (Toeplitz), or "unchanged" when none was ever set | INVALID_PARAMETER |
 * | indirection table empty, not a power of two, or above min(128, NumberOfIndirectionTableEntries) entries | INVALID_PARAMETER |
 * | a table entry, BaseCpuNumber or DefaultProcessorNumber outside the stack's processors (group 0, 0 … count − 1) | INVALID_PARAMETER |
 *
 * Advertised types: IPv4 2-tuple always; TCP/UDP types by their capability bit; the IPv6 (IPv6-EX)
 * 2-tuple type with any IPv6 (IPv6-EX) capability bit, since a NIC that parses IPv6 for the 4-tuple has
 * the addresses anyway.
 */
import type { OidDecodeResult } from '../oid-codec-types.js';
import {
  NDIS_HASH_FUNCTION_MASK,
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_IPV6_EX,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_TCP_IPV6_EX,
  NDIS_HASH_TYPE_MASK,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NDIS_HASH_UDP_IPV6_EX,
  NdisHashFunctionToeplitz,
} from '../nbl-info-bits.js';
import { NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_NOT_SUPPORTED, NDIS_STATUS_SUCCESS, type NdisStatus } from '../status.js';
import { receiveScaleParametersCodec } from './codecs.js';
import { NDIS_HASH_TYPES_ALL } from './hash-input.js';
import {
  NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX,
  NDIS_RSS_HASH_SECRET_KEY_SIZE_REVISION_1,
  NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_DEFAULT_PROCESSOR_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_DISABLE_RSS,
  NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED,
  RSS_INDIRECTION_TABLE_MAX_ENTRIES,
  type GroupAffinity,
  type NdisReceiveScaleCapabilities,
  type NdisReceiveScaleParameters,
  type ProcessorNumber,
} from './receive-scale.js';

/** The RSS state a miniport keeps: what the last accepted OID_GEN_RECEIVE_SCALE_PARAMETERS set left. */
export interface RssSettings {
  /** True when the hash function in `hashInformation` is nonzero and DISABLE_RSS was not asked for. */
  readonly enabled: boolean;
  /** Hash types | function; 0 while RSS is off. */
  readonly hashInformation: number;
  /** Kept while RSS is off, so a later set may say HASH_KEY_UNCHANGED. */
  readonly hashSecretKey: Uint8Array;
  /** Kept while RSS is off, so a later set may say ITABLE_UNCHANGED. */
  readonly indirectionTable: readonly ProcessorNumber[];
  readonly baseCpuNumber: number;
  /** Where frames without a hash go (and every frame while RSS is off). */
  readonly defaultProcessorNumber: ProcessorNumber;
}

/** A miniport's settings before any set: RSS off, no key, no table, everything on processor 0. */
export const RSS_SETTINGS_DISABLED: RssSettings = Object.freeze({
  enabled: false,
  hashInformation: 0,
  hashSecretKey: new Uint8Array(0),
  indirectionTable: Object.freeze([]) as readonly ProcessorNumber[],
  baseCpuNumber: 0,
  defaultProcessorNumber: Object.freeze({ group: 0, number: 0 }),
});

/** The outcome of a set: on failure `settings` is the previous settings, unchanged. */
export interface RssApplyResult {
  readonly status: NdisStatus;
  /** Why it failed (empty on success). */
  readonly reason: string;
  /** For NDIS_STATUS_INVALID_LENGTH: the bytes the request would have needed. */
  readonly bytesNeeded: number;
  readonly settings: RssSettings;
}

/** The NDIS_HASH_* types `capabilities` allow (see the module comment for the implied ones). */
export function rssCapabilitiesHashTypes(capabilities: NdisReceiveScaleCapabilities): number {
  const f = capabilities.capabilitiesFlags;
  let t = NDIS_HASH_IPV4;
  if (f & NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4) t |= NDIS_HASH_TCP_IPV4;
  if (f & NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4) t |= NDIS_HASH_UDP_IPV4;
  if (f & NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6) t |= NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6;
  if (f & NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6) t |= NDIS_HASH_IPV6 | NDIS_HASH_UDP_IPV6;
  if (f & NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX) t |= NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX;
  if (f & NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6_EX) t |= NDIS_HASH_IPV6_EX | NDIS_HASH_UDP_IPV6_EX;
  return t;
}

/** The largest indirection table `capabilities` take, in entries (revision 1's 0 means 128). */
export function rssMaxIndirectionEntries(capabilities: NdisReceiveScaleCapabilities): number {
  const n = capabilities.numberOfIndirectionTableEntries;
  return n === 0 ? RSS_INDIRECTION_TABLE_MAX_ENTRIES : Math.min(n, RSS_INDIRECTION_TABLE_MAX_ENTRIES);
}

/** The three independent sets of §3.1: [2-tuple, TCP, UDP]. */
const HASH_TYPE_SETS = [
  ['IPv4', NDIS_HASH_IPV4, NDIS_HASH_TCP_IPV4, NDIS_HASH_UDP_IPV4],
  ['IPv6', NDIS_HASH_IPV6, NDIS_HASH_TCP_IPV6, NDIS_HASH_UDP_IPV6],
  ['IPv6-EX', NDIS_HASH_IPV6_EX, NDIS_HASH_TCP_IPV6_EX, NDIS_HASH_UDP_IPV6_EX],
] as const;

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

function processorProblem(what: string, p: ProcessorNumber, processorCount: number): string | null {
  if (p.group === 0 && Number.isInteger(p.number) && p.number >= 0 && p.number < processorCount) return null;
  return `${what} is processor ${p.group}:${p.number}, but the stack has processors 0:0 … 0:${processorCount - 1}`;
}

/** The hash-information rules; null when `hashInformation` (function nonzero) is acceptable. */
function hashInformationProblem(hashInformation: number, capabilities: NdisReceiveScaleCapabilities): readonly [NdisStatus, string] | null {
  if ((hashInformation & ~(NDIS_HASH_TYPE_MASK | NDIS_HASH_FUNCTION_MASK)) !== 0) {
    return [NDIS_STATUS_INVALID_PARAMETER, `HashInformation ${hex(hashInformation)} has bits outside the hash type and function masks`];
  }
  const fn = hashInformation & NDIS_HASH_FUNCTION_MASK;
  if ((fn & (fn - 1)) !== 0) return [NDIS_STATUS_INVALID_PARAMETER, `hash function ${hex(fn)} names more than one function`];
  if (fn !== NdisHashFunctionToeplitz || (capabilities.capabilitiesFlags & fn) === 0) {
    return [NDIS_STATUS_NOT_SUPPORTED, `hash function ${hex(fn)} is not supported (the miniport offers ${hex(capabilities.capabilitiesFlags & NDIS_HASH_FUNCTION_MASK)})`];
  }
  const types = hashInformation & NDIS_HASH_TYPE_MASK;
  if (types === 0) return [NDIS_STATUS_INVALID_PARAMETER, 'no hash type is enabled'];
  if ((types & ~NDIS_HASH_TYPES_ALL) !== 0) return [NDIS_STATUS_INVALID_PARAMETER, `hash types ${hex(types & ~NDIS_HASH_TYPES_ALL)} are not NDIS_HASH_* types`];
  for (const [name, two, tcp, udp] of HASH_TYPE_SETS) {
    if ((types & (two | tcp | udp)) === (tcp | udp)) return [NDIS_STATUS_INVALID_PARAMETER, `${name}: TCP and UDP hashing without the 2-tuple type is not a valid combination`];
  }
  const missing = types & ~rssCapabilitiesHashTypes(capabilities);
  if (missing !== 0) return [NDIS_STATUS_NOT_SUPPORTED, `hash types ${hex(missing)} are not advertised by the miniport`];
  return null;
}

function failed(status: NdisStatus, reason: string, current: RssSettings, bytesNeeded = 0): RssApplyResult {
  return { status, reason, bytesNeeded, settings: current };
}

/**
 * Merges `request` into `current` and checks the result against `capabilities` and the stack's
 * `processorCount` processors. Returns the new settings with NDIS_STATUS_SUCCESS, or the failure status
 * with `current` unchanged. Never throws for a request's contents.
 */
export function applyReceiveScaleParameters(
  current: RssSettings,
  request: NdisReceiveScaleParameters,
  capabilities: NdisReceiveScaleCapabilities,
  processorCount: number,
): RssApplyResult {
  if (!Number.isInteger(processorCount) || processorCount < 1) throw new RangeError(`processorCount must be a positive integer, got ${processorCount}`);
  const flags = request.flags;
  const off = (): RssApplyResult => ({ status: NDIS_STATUS_SUCCESS, reason: '', bytesNeeded: 0, settings: { ...current, enabled: false, hashInformation: 0 } });
  if ((flags & NDIS_RSS_PARAM_FLAG_DISABLE_RSS) !== 0) return off();
  const hashInformation = ((flags & NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED) !== 0 ? current.hashInformation : request.hashInformation) >>> 0;
  if ((hashInformation & NDIS_HASH_FUNCTION_MASK) === 0 && (hashInformation & ~NDIS_HASH_TYPE_MASK) === 0) return off();
  const bad = hashInformationProblem(hashInformation, capabilities);
  if (bad !== null) return failed(bad[0], bad[1], current);

  const keyUnchanged = (flags & NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED) !== 0;
  const key = keyUnchanged ? current.hashSecretKey : request.hashSecretKey;
  if (key.length !== NDIS_RSS_HASH_SECRET_KEY_SIZE_REVISION_1) {
    const why = keyUnchanged && key.length === 0 ? 'the key is marked unchanged but none was ever set' : `a ${key.length}-byte secret key, but Toeplitz takes ${NDIS_RSS_HASH_SECRET_KEY_SIZE_REVISION_1}`;
    return failed(NDIS_STATUS_INVALID_PARAMETER, why, current);
  }

  const table = (flags & NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED) !== 0 ? current.indirectionTable : request.indirectionTable;
  const n = table.length;
  const max = rssMaxIndirectionEntries(capabilities);
  if (n === 0 || (n & (n - 1)) !== 0 || n > max) {
    return failed(NDIS_STATUS_INVALID_PARAMETER, `an indirection table of ${n} entries; it must be a power of two from 1 to ${max}`, current);
  }
  for (let i = 0; i < n; i++) {
    const p = processorProblem(`indirection table entry ${i}`, table[i]!, processorCount);
    if (p !== null) return failed(NDIS_STATUS_INVALID_PARAMETER, p, current);
  }

  let baseCpuNumber = current.baseCpuNumber;
  if ((flags & NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED) === 0) {
    baseCpuNumber = request.baseCpuNumber;
    const p = processorProblem('BaseCpuNumber', { group: 0, number: baseCpuNumber }, processorCount);
    if (p !== null) return failed(NDIS_STATUS_INVALID_PARAMETER, p, current);
  }
  let defaultProcessorNumber = current.defaultProcessorNumber;
  if ((request.revision ?? NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3) >= NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3 && (flags & NDIS_RSS_PARAM_FLAG_DEFAULT_PROCESSOR_UNCHANGED) === 0) {
    defaultProcessorNumber = request.defaultProcessorNumber;
    const p = processorProblem('DefaultProcessorNumber', defaultProcessorNumber, processorCount);
    if (p !== null) return failed(NDIS_STATUS_INVALID_PARAMETER, p, current);
  }

  return {
    status: NDIS_STATUS_SUCCESS,
    reason: '',
    bytesNeeded: 0,
    settings: {
      enabled: true,
      hashInformation,
      hashSecretKey: keyUnchanged ? key : Uint8Array.from(key),
      indirectionTable: table === current.indirectionTable ? table : Object.freeze(table.map((p) => Object.freeze({ group: p.group, number: p.number }))),
      baseCpuNumber,
      defaultProcessorNumber: Object.freeze({ group: defaultProcessorNumber.group, number: defaultProcessorNumber.number }),
    },
  };
}

/**
 * The status a set of `request` would complete with: NDIS_STATUS_SUCCESS, or the failure and its reason
 * (the rules of {@link applyReceiveScaleParameters}, against `current`, RSS off by default).
 */
export function validateReceiveScaleParameters(
  request: NdisReceiveScaleParameters,
  capabilities: NdisReceiveScaleCapabilities,
  processorCount: number,
  current: RssSettings = RSS_SETTINGS_DISABLED,
): { readonly status: NdisStatus; readonly reason: string } {
  const r = applyReceiveScaleParameters(current, request, capabilities, processorCount);
  return { status: r.status, reason: r.reason };
}

/**
 * A set's InformationBuffer, decoded and applied: what a miniport's OID_GEN_RECEIVE_SCALE_PARAMETERS
 * handler does. Malformed buffers (truncated, offsets outside, sizes past the end) fail with the codec's
 * status; nothing here throws for any buffer contents.
 */
export function applyReceiveScaleParametersBuffer(
  current: RssSettings,
  buf: Uint8Array,
  offset: number,
  length: number,
  capabilities: NdisReceiveScaleCapabilities,
  processorCount: number,
): RssApplyResult {
  const d: OidDecodeResult<NdisReceiveScaleParameters> = receiveScaleParametersCodec.decode(buf, offset, length);
  if (!d.ok) return failed(d.status, d.reason, current, d.bytesNeeded);
  return applyReceiveScaleParameters(current, d.value, capabilities, processorCount);
}

/** The indirection table index of a hash value: its low-order bits, `entries` being a power of two. */
export function rssIndirectionIndex(hashValue: number, entries: number): number {
  return hashValue & (entries - 1);
}

/**
 * The processor a frame goes to: the table entry its hash selects, or the default processor when RSS is
 * off or the frame has no hash (`hashInfo` 0).
 */
export function rssTargetProcessor(settings: RssSettings, hashInfo: number, hashValue: number): ProcessorNumber {
  const table = settings.indirectionTable;
  if (!settings.enabled || hashInfo === 0 || table.length === 0) return settings.defaultProcessorNumber;
  return table[rssIndirectionIndex(hashValue, table.length)]!;
}

/**
 * The settings as an NDIS_RECEIVE_SCALE_PARAMETERS (revision 3) for a query: the processor masks list
 * the processors the table uses, one mask per group.
 */
export function receiveScaleParametersFromSettings(settings: RssSettings): NdisReceiveScaleParameters {
  const groups = new Map<number, bigint>();
  for (const p of settings.indirectionTable) groups.set(p.group, (groups.get(p.group) ?? 0n) | (1n << BigInt(p.number & 63)));
  const processorMasks: GroupAffinity[] = [...groups].sort((a, b) => a[0] - b[0]).map(([group, mask]) => ({ mask, group }));
  return {
    revision: NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3,
    flags: 0,
    baseCpuNumber: settings.baseCpuNumber,
    hashInformation: settings.enabled ? settings.hashInformation : 0,
    indirectionTable: settings.indirectionTable,
    hashSecretKey: settings.hashSecretKey,
    processorMasks,
    defaultProcessorNumber: settings.defaultProcessorNumber,
  };
}
