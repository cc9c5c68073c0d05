/**
 * OID codecs for OID_GEN_RECEIVE_SCALE_CAPABILITIES and OID_GEN_RECEIVE_SCALE_PARAMETERS (offload digest
 * §3.4), written like the other structure codecs (oid-codecs.ts): the header is checked against the size
 * of the revision it claims, decode never throws and never reads outside the bytes present, encode
 * throws only for values the layout cannot hold.
 *
 * NDIS_RECEIVE_SCALE_PARAMETERS carries variable parts after its fixed fields, each located by an offset
 * from the start of the structure and a size; encode lays them out as
 *   fixed fields (28 / 40 / 44 bytes by revision) ‖ indirection table ‖ secret key ‖ (8-aligned) processor masks
 * and decode accepts them anywhere in the buffer past the fixed fields. A part that reaches past the
 * InformationBuffer fails with NDIS_STATUS_INVALID_LENGTH (bytesNeeded = its end); one that starts inside
 * the fixed fields, a table size that is not whole entries, or a mask entry size below GROUP_AFFINITY's
 * fail with NDIS_STATUS_INVALID_PARAMETER. Parts the flags tell the miniport to ignore (the table and
 * masks under ITABLE_UNCHANGED, the key under HASH_KEY_UNCHANGED, both under DISABLE_RSS) are not read.
 * Whether the values themselves are acceptable (table size, key length, hash types, processors) is for
 * the rules in ./settings.ts.
 */
import { checkRevisionedHeader, fail, ok, put16, put32, put64, readable, u16, u32, u64, writeHeader } from '../codec-bytes.js';
import { NDIS_OBJECT_TYPE_RSS_CAPABILITIES, NDIS_OBJECT_TYPE_RSS_PARAMETERS } from '../constants.js';
import type { OidCodec, OidDecodeResult } from '../oid-codec-types.js';
import { OID_GEN_RECEIVE_SCALE_CAPABILITIES, OID_GEN_RECEIVE_SCALE_PARAMETERS } from '../oids.js';
import { NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_INVALID_PARAMETER } from '../status.js';
import {
  NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2,
  NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_3,
  NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_1,
  NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2,
  NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3,
  NDIS_RSS_PARAM_FLAG_DISABLE_RSS,
  NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED,
  NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_1,
  NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_2,
  NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_3,
  NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_2,
  NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_3,
  SIZEOF_GROUP_AFFINITY,
  SIZEOF_PROCESSOR_NUMBER,
  type GroupAffinity,
  type NdisReceiveScaleCapabilities,
  type NdisReceiveScaleParameters,
  type ProcessorNumber,
} from './receive-scale.js';

/**
 * NDIS_RECEIVE_SCALE_CAPABILITIES, written as REVISION_3 (18 bytes); revision 1 (16) reads with
 * NumberOfIndirectionTableEntries 0.
 *   0 Header  4 CapabilitiesFlags  8 NumberOfInterruptMessages  12 NumberOfReceiveQueues
 *   16 NumberOfIndirectionTableEntries (USHORT; end of revisions 2 and 3)
 */
export const receiveScaleCapabilitiesCodec: OidCodec<NdisReceiveScaleCapabilities> = (() => {
  const name = 'OID_GEN_RECEIVE_SCALE_CAPABILITIES';
  const sizes = [NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_1, NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_2, NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_3] as const;
  const size = NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_3;
  return {
    oid: OID_GEN_RECEIVE_SCALE_CAPABILITIES,
    name,
    minLength: NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_1,
    encodedLength: () => size,
    encode(v, b, o) {
      writeHeader(b, o, { type: NDIS_OBJECT_TYPE_RSS_CAPABILITIES, revision: NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_3, size });
      put32(b, o + 4, v.capabilitiesFlags >>> 0);
      put32(b, o + 8, v.numberOfInterruptMessages >>> 0);
      put32(b, o + 12, v.numberOfReceiveQueues >>> 0);
      put16(b, o + 16, v.numberOfIndirectionTableEntries);
      return size;
    },
    decode(b, o, length) {
      const n = readable(b, o, length);
      const rev = checkRevisionedHeader(name, b, o, n, NDIS_OBJECT_TYPE_RSS_CAPABILITIES, sizes);
      if (typeof rev !== 'number') return rev;
      return ok({
        capabilitiesFlags: u32(b, o + 4),
        numberOfInterruptMessages: u32(b, o + 8),
        numberOfReceiveQueues: u32(b, o + 12),
        numberOfIndirectionTableEntries: rev >= NDIS_RECEIVE_SCALE_CAPABILITIES_REVISION_2 ? u16(b, o + 16) : 0,
      });
    },
  };
})();

const PARAMETER_SIZES = [NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_1, NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_2, NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_3] as const;
const PARAMETERS = 'OID_GEN_RECEIVE_SCALE_PARAMETERS';

/** Bytes per indirection table entry in revision `revision`: CCHAR in 1, PROCESSOR_NUMBER from 2 on. */
export function rssIndirectionEntrySize(revision: number): number {
  return revision <= NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_1 ? 1 : SIZEOF_PROCESSOR_NUMBER;
}

interface ParametersLayout {
  readonly revision: number;
  readonly fixed: number;
  readonly tableOffset: number;
  readonly tableSize: number;
  readonly keyOffset: number;
  readonly masksOffset: number;
  readonly total: number;
}

function parametersLayout(v: NdisReceiveScaleParameters): ParametersLayout {
  const revision = v.revision ?? NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3;
  if (!Number.isInteger(revision) || revision < NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_1 || revision > NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3) {
    throw new RangeError(`${PARAMETERS}: revision ${revision} is not 1, 2 or 3`);
  }
  const fixed = PARAMETER_SIZES[revision - 1]!;
  const tableSize = v.indirectionTable.length * rssIndirectionEntrySize(revision);
  if (tableSize > 0xffff) throw new RangeError(`${PARAMETERS}: a ${tableSize}-byte indirection table does not fit IndirectionTableSize (USHORT)`);
  if (v.hashSecretKey.length > 0xffff) throw new RangeError(`${PARAMETERS}: a ${v.hashSecretKey.length}-byte key does not fit HashSecretKeySize (USHORT)`);
  const keyOffset = fixed + tableSize;
  const keyEnd = keyOffset + v.hashSecretKey.length;
  if (revision < NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2 && v.processorMasks.length > 0) throw new RangeError(`${PARAMETERS}: revision 1 has no processor masks`);
  const d = v.defaultProcessorNumber;
  if (revision < NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3 && (d.group !== 0 || d.number !== 0)) throw new RangeError(`${PARAMETERS}: revision ${revision} has no default processor`);
  const masksOffset = v.processorMasks.length > 0 ? (keyEnd + 7) & ~7 : keyEnd;
  return { revision, fixed, tableOffset: fixed, tableSize, keyOffset, masksOffset, total: masksOffset + v.processorMasks.length * SIZEOF_GROUP_AFFINITY };
}

function writeEntry(b: Uint8Array, o: number, revision: number, p: ProcessorNumber): void {
  if (revision === NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_1) {
    if (p.group !== 0 || !(p.number >= 0 && p.number <= 127)) throw new RangeError(`${PARAMETERS}: revision 1 holds CPU numbers 0..127 of group 0, got ${p.group}:${p.number}`);
    b[o] = p.number;
    return;
  }
  put16(b, o, p.group);
  b[o + 2] = p.number & 0xff;
  b[o + 3] = 0;
}

/** Where a variable part lies; null when it is empty or fits, else the failure. */
function checkPart(what: string, fixed: number, n: number, offset: number, size: number): OidDecodeResult<never> | null {
  if (size === 0) return null;
  if (offset < fixed) return fail(NDIS_STATUS_INVALID_PARAMETER, 0, `${PARAMETERS}: ${what} offset ${offset} lies inside the ${fixed}-byte structure`);
  const end = offset + size;
  if (end > n) return fail(NDIS_STATUS_INVALID_LENGTH, Math.min(end, 0xffffffff), `${PARAMETERS}: ${what} ends at byte ${end} of a ${n}-byte buffer`);
  return null;
}

/**
 * NDIS_RECEIVE_SCALE_PARAMETERS with its indirection table, secret key and processor masks, in the
 * revision the value names (3 when it names none). Revisions 1–3 are read; a later one as revision 3.
 *   0 Header  4 Flags (USHORT)  6 BaseCpuNumber (USHORT)  8 HashInformation  12 IndirectionTableSize
 *   (USHORT, bytes)  16 IndirectionTableOffset  20 HashSecretKeySize (USHORT)  24 HashSecretKeyOffset
 *   (end of revision 1)  28 ProcessorMasksOffset  32 NumberOfProcessorMasks  36 ProcessorMasksEntrySize
 *   (end of revision 2)  40 DefaultProcessorNumber {USHORT Group, UCHAR Number, UCHAR Reserved}
 *   (end of revision 3). Offsets count from the start of the structure.
 */
export const receiveScaleParametersCodec: OidCodec<NdisReceiveScaleParameters> = {
  oid: OID_GEN_RECEIVE_SCALE_PARAMETERS,
  name: PARAMETERS,
  minLength: NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_1,
  encodedLength: (v) => parametersLayout(v).total,
  encode(v, b, o) {
    const l = parametersLayout(v);
    b.fill(0, o, o + l.total);
    writeHeader(b, o, { type: NDIS_OBJECT_TYPE_RSS_PARAMETERS, revision: l.revision, size: l.fixed });
    put16(b, o + 4, v.flags);
    put16(b, o + 6, v.baseCpuNumber);
    put32(b, o + 8, v.hashInformation >>> 0);
    put16(b, o + 12, l.tableSize);
    put32(b, o + 16, l.tableOffset);
    put16(b, o + 20, v.hashSecretKey.length);
    put32(b, o + 24, l.keyOffset);
    const entry = rssIndirectionEntrySize(l.revision);
    for (let i = 0; i < v.indirectionTable.length; i++) writeEntry(b, o + l.tableOffset + i * entry, l.revision, v.indirectionTable[i]!);
    b.set(v.hashSecretKey, o + l.keyOffset);
    if (l.revision >= NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2) {
      const masks = v.processorMasks;
      put32(b, o + 28, masks.length > 0 ? l.masksOffset : 0);
      put32(b, o + 32, masks.length);
      put32(b, o + 36, SIZEOF_GROUP_AFFINITY);
      for (let i = 0; i < masks.length; i++) {
        put64(b, o + l.masksOffset + i * SIZEOF_GROUP_AFFINITY, masks[i]!.mask);
        put16(b, o + l.masksOffset + i * SIZEOF_GROUP_AFFINITY + 8, masks[i]!.group);
      }
    }
    if (l.revision >= NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3) {
      put16(b, o + 40, v.defaultProcessorNumber.group);
      b[o + 42] = v.defaultProcessorNumber.number & 0xff;
    }
    return l.total;
  },
  decode(b, o, length) {
    const n = readable(b, o, length);
    const rev = checkRevisionedHeader(PARAMETERS, b, o, n, NDIS_OBJECT_TYPE_RSS_PARAMETERS, PARAMETER_SIZES);
    if (typeof rev !== 'number') return rev;
    const fixed = PARAMETER_SIZES[rev - 1]!;
    const flags = u16(b, o + 4);
    const disable = (flags & NDIS_RSS_PARAM_FLAG_DISABLE_RSS) !== 0;
    const indirectionTable: ProcessorNumber[] = [];
    const processorMasks: GroupAffinity[] = [];
    let hashSecretKey = new Uint8Array(0);
    if (!disable && (flags & NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED) === 0) {
      const tableSize = u16(b, o + 12);
      const tableOffset = u32(b, o + 16);
      const entry = rssIndirectionEntrySize(rev);
      if (tableSize % entry !== 0) return fail(NDIS_STATUS_INVALID_PARAMETER, 0, `${PARAMETERS}: IndirectionTableSize ${tableSize} is not a whole number of ${entry}-byte entries`);
      const bad = checkPart('indirection table', fixed, n, tableOffset, tableSize);
      if (bad !== null) return bad;
      for (let at = o + tableOffset; at < o + tableOffset + tableSize; at += entry) {
        indirectionTable.push(entry === 1 ? { group: 0, number: b[at]! } : { group: u16(b, at), number: b[at + 2]! });
      }
      if (rev >= NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2) {
        const count = u32(b, o + 32);
        if (count > 0) {
          const entrySize = u32(b, o + 36);
          if (entrySize < SIZEOF_GROUP_AFFINITY) return fail(NDIS_STATUS_INVALID_PARAMETER, 0, `${PARAMETERS}: ProcessorMasksEntrySize ${entrySize} is below ${SIZEOF_GROUP_AFFINITY}`);
          const masksOffset = u32(b, o + 28);
          const badMasks = checkPart('processor masks', fixed, n, masksOffset, count * entrySize);
          if (badMasks !== null) return badMasks;
          for (let i = 0; i < count; i++) processorMasks.push({ mask: u64(b, o + masksOffset + i * entrySize), group: u16(b, o + masksOffset + i * entrySize + 8) });
        }
      }
    }
    if (!disable && (flags & NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED) === 0) {
      const keySize = u16(b, o + 20);
      const keyOffset = u32(b, o + 24);
      const bad = checkPart('secret key', fixed, n, keyOffset, keySize);
      if (bad !== null) return bad;
      hashSecretKey = b.slice(o + keyOffset, o + keyOffset + keySize);
    }
    return ok({
      revision: rev,
      flags,
      baseCpuNumber: u16(b, o + 6),
      hashInformation: u32(b, o + 8),
      indirectionTable,
      hashSecretKey,
      processorMasks,
      defaultProcessorNumber: rev >= NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_3 ? { group: u16(b, o + 40), number: b[o + 42]! } : { group: 0, number: 0 },
    });
  },
};
