/**
 * OID_GEN_RECEIVE_SCALE_CAPABILITIES / _PARAMETERS (offload digest §3.4): byte-exact encodings of every
 * revision, variable parts anywhere past the fixed fields, malformed buffers answered with a status
 * (fuzzed), and the set rules — each with a request that breaks it — with the previous settings kept on
 * failure; the indirection table's hash → processor mapping.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  NDIS_HASH_IPV4,
  NDIS_HASH_IPV6,
  NDIS_HASH_IPV6_EX,
  NDIS_HASH_TCP_IPV4,
  NDIS_HASH_TCP_IPV6,
  NDIS_HASH_TCP_IPV6_EX,
  NDIS_HASH_UDP_IPV4,
  NDIS_HASH_UDP_IPV6,
  NdisHashFunctionReserved1,
  NdisHashFunctionToeplitz,
} from '../../src/ndis/nbl-info-bits.js';
import { OID_CODECS, encodeToBytes } from '../../src/ndis/oid-codecs.js';
import { OID_GEN_RECEIVE_SCALE_CAPABILITIES, OID_GEN_RECEIVE_SCALE_PARAMETERS } from '../../src/ndis/oids.js';
import { receiveScaleCapabilitiesCodec as capsCodec, receiveScaleParametersCodec as paramsCodec } from '../../src/ndis/rss/codecs.js';
import {
  NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4,
  NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6,
  NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_DEFAULT_PROCESSOR_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_DISABLE_RSS,
  NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED,
  NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED,
  NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_2,
  NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_1,
  NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_3,
  type NdisReceiveScaleCapabilities,
  type NdisReceiveScaleParameters,
  type ProcessorNumber,
} from '../../src/ndis/rss/receive-scale.js';
import {
  RSS_SETTINGS_DISABLED,
  type RssSettings,
  applyReceiveScaleParameters,
  applyReceiveScaleParametersBuffer,
  receiveScaleParametersFromSettings,
  rssCapabilitiesHashTypes,
  rssTargetProcessor,
  validateReceiveScaleParameters,
} from '../../src/ndis/rss/settings.js';
import {
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_UNSUPPORTED_REVISION,
  statusName,
} from '../../src/ndis/status.js';
import { MS_KEY, arbitraryRssParameters } from '../support/rss.js';

function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  assert.equal(s.length % 2, 0, 'odd number of hex digits');
  return Uint8Array.from({ length: s.length / 2 }, (_, i) => parseInt(s.slice(2 * i, 2 * i + 2), 16));
}

const KEY_HEX = Buffer.from(MS_KEY).toString('hex');
const cpu = (number: number, group = 0): ProcessorNumber => ({ group, number });
const table = (n: number, processors: number): ProcessorNumber[] => Array.from({ length: n }, (_, i) => cpu(i % processors));

// ======================================================================================================
// Capabilities
// ======================================================================================================

const CAPS: NdisReceiveScaleCapabilities = {
  capabilitiesFlags:
    NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 | NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 | NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4 | NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6 | NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC | NdisHashFunctionToeplitz,
  numberOfInterruptMessages: 2,
  numberOfReceiveQueues: 2,
  numberOfIndirectionTableEntries: 64,
};

const CAPS_BYTES = hex(
  '88 03 1200', // Header: NDIS_OBJECT_TYPE_RSS_CAPABILITIES, revision 3, size 18
  '011b0004', //   CapabilitiesFlags 0x04001b01
  '02000000', //   NumberOfInterruptMessages
  '02000000', //   NumberOfReceiveQueues
  '4000', //       NumberOfIndirectionTableEntries 64
);

test('capabilities: revision 3, byte for byte, at an odd offset', () => {
  assert.equal(capsCodec.encodedLength(CAPS), 18);
  const buf = new Uint8Array(3 + 18 + 3).fill(0xa5);
  assert.equal(capsCodec.encode(CAPS, buf, 3), 18);
  assert.deepEqual(buf, hex('a5a5a5', Buffer.from(CAPS_BYTES).toString('hex'), 'a5a5a5'));
  const r = capsCodec.decode(buf, 3, 18);
  assert.ok(r.ok);
  assert.deepEqual(r.value, CAPS);
  assert.equal(OID_CODECS.get(OID_GEN_RECEIVE_SCALE_CAPABILITIES), capsCodec);
});

test('capabilities: revision 1 has no table size; revision 2 needs 18 bytes; later revisions read as 3', () => {
  const r1 = capsCodec.decode(hex('88 01 1000', '011b0004 02000000 02000000'), 0, 16);
  assert.ok(r1.ok);
  assert.equal(r1.value.numberOfIndirectionTableEntries, 0);
  const r2short = capsCodec.decode(hex('88 02 1000', '011b0004 02000000 02000000 4000'), 0, 18);
  assert.ok(!r2short.ok && r2short.status === NDIS_STATUS_INVALID_LENGTH && r2short.bytesNeeded === NDIS_SIZEOF_RECEIVE_SCALE_CAPABILITIES_REVISION_2);
  const r2cut = capsCodec.decode(hex('88 02 1200', '011b0004 02000000 02000000'), 0, 16);
  assert.ok(!r2cut.ok && r2cut.status === NDIS_STATUS_INVALID_LENGTH && r2cut.bytesNeeded === 18);
  const r9 = capsCodec.decode(hex('88 09 1400', '011b0004 02000000 02000000 4000 ffff'), 0, 20);
  assert.ok(r9.ok);
  assert.deepEqual(r9.value, CAPS);
  const wrongType = capsCodec.decode(hex('89 03 1200', '011b0004 02000000 02000000 4000'), 0, 18);
  assert.ok(!wrongType.ok && wrongType.status === NDIS_STATUS_INVALID_PARAMETER);
  const rev0 = capsCodec.decode(hex('88 00 1200', '011b0004 02000000 02000000 4000'), 0, 18);
  assert.ok(!rev0.ok && rev0.status === NDIS_STATUS_UNSUPPORTED_REVISION);
});

// ======================================================================================================
// Parameters: encodings
// ======================================================================================================

const V4 = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4;
const V6 = NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6;

const PARAMS_3: NdisReceiveScaleParameters = {
  revision: 3,
  flags: 0,
  baseCpuNumber: 0,
  hashInformation: V4 | V6 | NdisHashFunctionToeplitz,
  indirectionTable: [cpu(0), cpu(1), cpu(0), cpu(1)],
  hashSecretKey: MS_KEY,
  processorMasks: [{ mask: 3n, group: 0 }],
  defaultProcessorNumber: cpu(1),
};

const PARAMS_3_BYTES = hex(
  '89 03 2c00', //           Header: NDIS_OBJECT_TYPE_RSS_PARAMETERS, revision 3, size 44
  '0000 0000', //            Flags, BaseCpuNumber
  '01170000', //             HashInformation: IPV4 | TCP_IPV4 | IPV6 | TCP_IPV6 | Toeplitz
  '1000 0000 2c000000', //   IndirectionTableSize 16 (4 PROCESSOR_NUMBERs), padding, offset 44
  '2800 0000 3c000000', //   HashSecretKeySize 40, padding, offset 60
  '68000000 01000000 10000000', // ProcessorMasksOffset 104 (8-aligned), 1 mask, entry size 16
  '0000 01 00', //           DefaultProcessorNumber 0:1
  '0000 00 00  0000 01 00  0000 00 00  0000 01 00', // the table
  KEY_HEX,
  '00000000', //             padding to 104
  '0300000000000000 0000 000000000000', // GROUP_AFFINITY { Mask 0b11, Group 0, Reserved }
);

const PARAMS_1_BYTES = hex(
  '89 01 1c00', //           revision 1, size 28
  '0000 0000',
  '01170000',
  '0400 0000 1c000000', //   4 CCHAR entries at 28
  '2800 0000 20000000', //   key at 32
  '00 01 00 01',
  KEY_HEX,
);

function checkParams(value: NdisReceiveScaleParameters, bytes: Uint8Array): void {
  assert.equal(paramsCodec.encodedLength(value), bytes.length);
  const buf = new Uint8Array(5 + bytes.length + 2).fill(0xa5);
  assert.equal(paramsCodec.encode(value, buf, 5), bytes.length);
  const expected = new Uint8Array(buf.length).fill(0xa5);
  expected.set(bytes, 5);
  assert.deepEqual(buf, expected);
  const r = paramsCodec.decode(buf, 5, bytes.length);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual(r.value, value);
}

test('parameters: revision 3 with table, key, processor masks and default processor, byte for byte', () => {
  assert.equal(PARAMS_3_BYTES.length, 120);
  checkParams(PARAMS_3, PARAMS_3_BYTES);
  assert.equal(OID_CODECS.get(OID_GEN_RECEIVE_SCALE_PARAMETERS), paramsCodec);
});

test('parameters: revision 1 with a CCHAR table, byte for byte', () => {
  checkParams({ ...PARAMS_3, revision: 1, processorMasks: [], defaultProcessorNumber: cpu(0) }, PARAMS_1_BYTES);
});

test('parameters: revision 2, no masks, no default processor', () => {
  const value: NdisReceiveScaleParameters = { ...PARAMS_3, revision: 2, processorMasks: [], defaultProcessorNumber: cpu(0), indirectionTable: [cpu(1)], flags: NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED };
  checkParams(
    value,
    hex('89 02 2800', '0100 0000', '01170000', '0400 0000 28000000', '2800 0000 2c000000', '00000000 00000000 10000000', '0000 01 00', KEY_HEX),
  );
});

test('parameters: the variable parts may lie anywhere past the fixed fields, in any order', () => {
  // revision 2: masks first (at 40), then the key (56), then the table (96)
  const b = hex(
    '89 02 2800', '0000 0000', '01170000',
    '0800 0000 60000000', // 2 entries at 96
    '2800 0000 38000000', // key at 56
    '28000000 01000000 10000000', // 1 mask at 40
    'ffffffff00000000 0100 000000000000',
    KEY_HEX,
    '0100 03 00  0000 02 00',
  );
  const r = paramsCodec.decode(b, 0, b.length);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual(r.value.indirectionTable, [cpu(3, 1), cpu(2)]);
  assert.deepEqual(r.value.processorMasks, [{ mask: 0xffffffffn, group: 1 }]);
  assert.deepEqual(r.value.hashSecretKey, MS_KEY);
  assert.equal(r.value.revision, 2);
  // a later revision reads as 3 through its revision-3 prefix
  const later = PARAMS_3_BYTES.slice();
  later[1] = 7;
  const r7 = paramsCodec.decode(later, 0, later.length);
  assert.ok(r7.ok);
  assert.deepEqual(r7.value, PARAMS_3);
});

test('parameters: encode refuses what the revision cannot carry', () => {
  assert.throws(() => encodeToBytes(paramsCodec, { ...PARAMS_3, revision: 1, processorMasks: [], defaultProcessorNumber: cpu(0), indirectionTable: [cpu(128)] }), RangeError);
  assert.throws(() => encodeToBytes(paramsCodec, { ...PARAMS_3, revision: 1, processorMasks: [], defaultProcessorNumber: cpu(0), indirectionTable: [cpu(1, 1)] }), RangeError);
  assert.throws(() => encodeToBytes(paramsCodec, { ...PARAMS_3, revision: 1, defaultProcessorNumber: cpu(0) }), RangeError, 'masks in revision 1');
  assert.throws(() => encodeToBytes(paramsCodec, { ...PARAMS_3, revision: 2 }), RangeError, 'default processor in revision 2');
  assert.throws(() => encodeToBytes(paramsCodec, { ...PARAMS_3, revision: 4 }), RangeError);
  assert.throws(() => encodeToBytes(paramsCodec, { ...PARAMS_3, hashSecretKey: new Uint8Array(0x10000) }), RangeError);
});

// ======================================================================================================
// Parameters: malformed buffers
// ======================================================================================================

function patched(bytes: Uint8Array, at: number, ...values: number[]): Uint8Array {
  const b = bytes.slice();
  b.set(values, at);
  return b;
}

function expectFailure(b: Uint8Array, status: number, bytesNeeded: number | null, what: string, length = b.length): void {
  const r = paramsCodec.decode(b, 0, length);
  assert.ok(!r.ok, `${what}: accepted`);
  assert.equal(statusName(r.status), statusName(status), `${what}: ${r.reason}`);
  if (bytesNeeded !== null) assert.equal(r.bytesNeeded, bytesNeeded, what);
  const a = applyReceiveScaleParametersBuffer(RSS_SETTINGS_DISABLED, b, 0, length, CAPS, 2);
  assert.equal(a.status, status, what);
  assert.equal(a.settings, RSS_SETTINGS_DISABLED, `${what}: settings changed`);
}

test('parameters: parts outside the buffer, inside the fixed fields, or of impossible sizes fail with a status', () => {
  expectFailure(patched(PARAMS_3_BYTES, 16, 40), NDIS_STATUS_INVALID_PARAMETER, null, 'table offset inside the structure');
  expectFailure(patched(PARAMS_3_BYTES, 24, 0), NDIS_STATUS_INVALID_PARAMETER, null, 'key offset 0');
  expectFailure(patched(PARAMS_3_BYTES, 16, 0x70), NDIS_STATUS_INVALID_LENGTH, 0x70 + 16, 'table past the end');
  expectFailure(patched(PARAMS_3_BYTES, 16, 0xff, 0xff, 0xff, 0xff), NDIS_STATUS_INVALID_LENGTH, 0xffffffff, 'table offset 2^32 - 1');
  expectFailure(patched(PARAMS_3_BYTES, 20, 0xff, 0xff), NDIS_STATUS_INVALID_LENGTH, 60 + 0xffff, 'key size 65535');
  expectFailure(patched(PARAMS_3_BYTES, 12, 6), NDIS_STATUS_INVALID_PARAMETER, null, 'table of 1.5 entries');
  expectFailure(patched(PARAMS_3_BYTES, 36, 8), NDIS_STATUS_INVALID_PARAMETER, null, 'mask entry below GROUP_AFFINITY');
  expectFailure(patched(PARAMS_3_BYTES, 32, 0xff, 0xff, 0xff, 0xff), NDIS_STATUS_INVALID_LENGTH, 0xffffffff, '2^32 - 1 masks');
  expectFailure(patched(PARAMS_3_BYTES, 0, 0x88), NDIS_STATUS_INVALID_PARAMETER, null, 'capabilities type');
  expectFailure(patched(PARAMS_3_BYTES, 1, 0), NDIS_STATUS_UNSUPPORTED_REVISION, null, 'revision 0');
  expectFailure(patched(PARAMS_3_BYTES, 2, 40), NDIS_STATUS_INVALID_LENGTH, NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_3, 'revision 3 with size 40');
  expectFailure(PARAMS_3_BYTES, NDIS_STATUS_INVALID_LENGTH, NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_1, 'shorter than revision 1', 27);
  expectFailure(PARAMS_3_BYTES, NDIS_STATUS_INVALID_LENGTH, NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_3, 'shorter than revision 3', 43);
  expectFailure(PARAMS_3_BYTES, NDIS_STATUS_INVALID_LENGTH, 120, 'masks cut off', 119);
});

test('parameters: every truncation of a valid set fails with INVALID_LENGTH and says how much it needs', () => {
  for (let len = 0; len < PARAMS_3_BYTES.length; len++) {
    const r = paramsCodec.decode(PARAMS_3_BYTES.subarray(0, len), 0, PARAMS_3_BYTES.length);
    assert.ok(!r.ok && r.status === NDIS_STATUS_INVALID_LENGTH, `length ${len}`);
    assert.ok(r.bytesNeeded > len && r.bytesNeeded <= PARAMS_3_BYTES.length, `length ${len}: bytesNeeded ${r.bytesNeeded}`);
  }
});

test('parameters: what the flags say to ignore is not read, so garbage there does not fail the set', () => {
  const garbage = patched(PARAMS_3_BYTES, 12, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0);
  const off = applyReceiveScaleParametersBuffer(RSS_SETTINGS_DISABLED, patched(garbage, 4, NDIS_RSS_PARAM_FLAG_DISABLE_RSS), 0, garbage.length, CAPS, 2);
  assert.equal(statusName(off.status), 'NDIS_STATUS_SUCCESS', off.reason);
  assert.equal(off.settings.enabled, false);
  const r = paramsCodec.decode(patched(garbage, 4, NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED | NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED), 0, garbage.length);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual([r.value.indirectionTable, r.value.hashSecretKey.length, r.value.processorMasks], [[], 0, []]);
});

test('fuzz: random, truncated and mutated parameter buffers never throw and answer with a status', () => {
  const allowed = new Set([NDIS_STATUS_SUCCESS, NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_UNSUPPORTED_REVISION, NDIS_STATUS_NOT_SUPPORTED]);
  const current = applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, PARAMS_3, CAPS, 2).settings;
  const headed = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 80 }), fc.uint8Array({ maxLength: 200 })).map(([rev, size, rest]) => {
    const b = new Uint8Array(4 + rest.length);
    b.set([0x89, rev, size, 0]);
    b.set(rest, 4);
    return b;
  });
  const encoded = arbitraryRssParameters.map((p) => encodeToBytes(paramsCodec, p));
  const mutated = fc.tuple(fc.oneof(fc.constant(PARAMS_3_BYTES), encoded), fc.array(fc.tuple(fc.nat(130), fc.nat(255)), { maxLength: 5 }), fc.nat(130)).map(([s, edits, cut]) => {
    const b = s.slice(0, Math.max(0, s.length - cut));
    for (const [i, v] of edits) if (i < b.length) b[i] = v;
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 160 }), headed, mutated), fc.integer({ min: -4, max: 8 }), fc.oneof(fc.integer({ min: -4, max: 300 }), fc.constantFrom(NaN, Infinity)), fc.integer({ min: 1, max: 130 }), (bytes, offset, length, processors) => {
      const r = applyReceiveScaleParametersBuffer(current, bytes, offset, length, CAPS, processors);
      assert.ok(allowed.has(r.status), statusName(r.status));
      if (r.status !== NDIS_STATUS_SUCCESS) {
        assert.equal(r.settings, current, 'a failed set keeps the settings');
        assert.ok(r.reason.length > 0);
        return;
      }
      const s = r.settings;
      if (!s.enabled) return;
      const n = s.indirectionTable.length;
      assert.ok(n >= 1 && n <= 64 && (n & (n - 1)) === 0, `table of ${n}`);
      assert.ok(s.indirectionTable.every((p) => p.group === 0 && p.number < processors));
      assert.equal(s.hashSecretKey.length, 40);
    }),
    { numRuns: 3000 },
  );
});

// ======================================================================================================
// The set rules
// ======================================================================================================

const GOOD: NdisReceiveScaleParameters = { ...PARAMS_3, processorMasks: [], indirectionTable: table(64, 2), defaultProcessorNumber: cpu(0) };

function expectRule(request: NdisReceiveScaleParameters, status: number, reason: RegExp, current: RssSettings = RSS_SETTINGS_DISABLED, caps = CAPS, processors = 2): void {
  const r = applyReceiveScaleParameters(current, request, caps, processors);
  assert.equal(statusName(r.status), statusName(status), r.reason);
  assert.match(r.reason, reason);
  assert.equal(r.settings, current, 'the previous settings stay in force');
  assert.deepEqual(validateReceiveScaleParameters(request, caps, processors, current), { status: r.status, reason: r.reason });
}

test('rules: a good set is applied', () => {
  const r = applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, GOOD, CAPS, 2);
  assert.equal(r.status, NDIS_STATUS_SUCCESS, r.reason);
  assert.deepEqual(r.settings, {
    enabled: true,
    hashInformation: GOOD.hashInformation,
    hashSecretKey: MS_KEY,
    indirectionTable: GOOD.indirectionTable,
    baseCpuNumber: 0,
    defaultProcessorNumber: cpu(0),
  });
  assert.notEqual(r.settings.hashSecretKey, GOOD.hashSecretKey, 'the key is copied');
});

test('rules: the indirection table must be a power of two no larger than the capability', () => {
  for (const n of [0, 3, 48, 63]) expectRule({ ...GOOD, indirectionTable: table(n, 2) }, NDIS_STATUS_INVALID_PARAMETER, /power of two from 1 to 64/);
  expectRule({ ...GOOD, indirectionTable: table(128, 2) }, NDIS_STATUS_INVALID_PARAMETER, /128 entries/);
  for (const n of [1, 2, 32, 64]) assert.equal(applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, indirectionTable: table(n, 2) }, CAPS, 2).status, NDIS_STATUS_SUCCESS, `${n}`);
  // a revision-1 capabilities structure (no table size) allows the revision-1 maximum, 128, and no more
  const caps1 = { ...CAPS, numberOfIndirectionTableEntries: 0 };
  assert.equal(applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, indirectionTable: table(128, 2) }, caps1, 2).status, NDIS_STATUS_SUCCESS);
  expectRule({ ...GOOD, indirectionTable: table(256, 2) }, NDIS_STATUS_INVALID_PARAMETER, /power of two from 1 to 128/, RSS_SETTINGS_DISABLED, caps1);
});

test('rules: the secret key must be 40 bytes for Toeplitz', () => {
  for (const n of [0, 16, 39, 41, 52]) expectRule({ ...GOOD, hashSecretKey: new Uint8Array(n) }, NDIS_STATUS_INVALID_PARAMETER, new RegExp(`a ${n}-byte secret key`));
  expectRule({ ...GOOD, flags: NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED, hashSecretKey: new Uint8Array(0) }, NDIS_STATUS_INVALID_PARAMETER, /none was ever set/);
});

test('rules: the hash function must be one, Toeplitz, and advertised', () => {
  expectRule({ ...GOOD, hashInformation: V4 | NdisHashFunctionReserved1 }, NDIS_STATUS_NOT_SUPPORTED, /hash function 0x2 is not supported/);
  expectRule({ ...GOOD, hashInformation: V4 | 0x03 }, NDIS_STATUS_INVALID_PARAMETER, /more than one function/);
  expectRule(GOOD, NDIS_STATUS_NOT_SUPPORTED, /offers 0x0/, RSS_SETTINGS_DISABLED, { ...CAPS, capabilitiesFlags: CAPS.capabilitiesFlags & ~0xff });
  expectRule({ ...GOOD, hashInformation: 0x01000000 | V4 | NdisHashFunctionToeplitz }, NDIS_STATUS_INVALID_PARAMETER, /outside the hash type and function masks/);
});

test('rules: hash types must be known, a valid combination, and advertised', () => {
  const fn = NdisHashFunctionToeplitz;
  expectRule({ ...GOOD, hashInformation: fn }, NDIS_STATUS_INVALID_PARAMETER, /no hash type/);
  expectRule({ ...GOOD, hashInformation: 0x00020000 | fn }, NDIS_STATUS_INVALID_PARAMETER, /not NDIS_HASH_\* types/);
  expectRule({ ...GOOD, hashInformation: NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 | fn }, NDIS_STATUS_INVALID_PARAMETER, /IPv4: TCP and UDP hashing without the 2-tuple/);
  expectRule({ ...GOOD, hashInformation: NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6 | NDIS_HASH_IPV4 | fn }, NDIS_STATUS_INVALID_PARAMETER, /IPv6: TCP and UDP/);
  expectRule({ ...GOOD, hashInformation: NDIS_HASH_TCP_IPV6_EX | NDIS_HASH_IPV6_EX | fn }, NDIS_STATUS_NOT_SUPPORTED, /0x2800 are not advertised/);
  const v4only = { ...CAPS, capabilitiesFlags: NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 | fn };
  expectRule({ ...GOOD, hashInformation: NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV4 | fn }, NDIS_STATUS_NOT_SUPPORTED, /0x4000 are not advertised/, RSS_SETTINGS_DISABLED, v4only);
  expectRule({ ...GOOD, hashInformation: NDIS_HASH_IPV6 | fn }, NDIS_STATUS_NOT_SUPPORTED, /0x400 are not advertised/, RSS_SETTINGS_DISABLED, v4only);
  // the valid combinations of one set, each alone
  for (const t of [NDIS_HASH_IPV4, NDIS_HASH_TCP_IPV4, NDIS_HASH_UDP_IPV4, V4, NDIS_HASH_UDP_IPV4 | NDIS_HASH_IPV4, V4 | NDIS_HASH_UDP_IPV4, NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6 | NDIS_HASH_IPV6]) {
    assert.equal(applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, hashInformation: t | fn }, CAPS, 2).status, NDIS_STATUS_SUCCESS, `0x${t.toString(16)}`);
  }
  assert.equal(rssCapabilitiesHashTypes(v4only), NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4);
  assert.equal(rssCapabilitiesHashTypes(CAPS), V4 | NDIS_HASH_UDP_IPV4 | V6 | NDIS_HASH_UDP_IPV6);
  assert.equal(rssCapabilitiesHashTypes(CAPS) & (NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX), 0);
});

test('rules: every processor named must be one of the stack\'s', () => {
  expectRule({ ...GOOD, indirectionTable: [cpu(0), cpu(2)] }, NDIS_STATUS_INVALID_PARAMETER, /entry 1 is processor 0:2, but the stack has processors 0:0 … 0:1/);
  expectRule({ ...GOOD, indirectionTable: [cpu(0), cpu(1, 1)] }, NDIS_STATUS_INVALID_PARAMETER, /entry 1 is processor 1:1/);
  expectRule({ ...GOOD, indirectionTable: table(64, 4) }, NDIS_STATUS_INVALID_PARAMETER, /entry 2 is processor 0:2/);
  expectRule({ ...GOOD, baseCpuNumber: 2 }, NDIS_STATUS_INVALID_PARAMETER, /BaseCpuNumber is processor 0:2/);
  expectRule({ ...GOOD, defaultProcessorNumber: cpu(7) }, NDIS_STATUS_INVALID_PARAMETER, /DefaultProcessorNumber is processor 0:7/);
  expectRule({ ...GOOD, defaultProcessorNumber: cpu(0, 3) }, NDIS_STATUS_INVALID_PARAMETER, /DefaultProcessorNumber is processor 3:0/);
  // the same requests pass on a stack with enough processors, or when the field is marked unchanged
  assert.equal(applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, indirectionTable: table(64, 4), defaultProcessorNumber: cpu(3) }, CAPS, 4).status, NDIS_STATUS_SUCCESS);
  const unchanged = applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, flags: NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED | NDIS_RSS_PARAM_FLAG_DEFAULT_PROCESSOR_UNCHANGED, baseCpuNumber: 9, defaultProcessorNumber: cpu(9) }, CAPS, 2);
  assert.equal(unchanged.status, NDIS_STATUS_SUCCESS, unchanged.reason);
  assert.deepEqual([unchanged.settings.baseCpuNumber, unchanged.settings.defaultProcessorNumber], [0, cpu(0)]);
  // revision 2 has no default processor: it is not read
  assert.equal(applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, revision: 2, defaultProcessorNumber: cpu(9) }, CAPS, 2).status, NDIS_STATUS_SUCCESS);
  assert.throws(() => applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, GOOD, CAPS, 0), RangeError);
});

test('rules: UNCHANGED flags keep the settings in force; DISABLE_RSS and a zero function turn RSS off', () => {
  const first = applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, GOOD, CAPS, 2).settings;
  const otherKey = MS_KEY.map((b) => b ^ 0x5a);
  const all = NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED | NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED | NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED;
  const same = applyReceiveScaleParameters(first, { ...GOOD, flags: all, hashInformation: 0x12345678, indirectionTable: [], hashSecretKey: new Uint8Array(3) }, CAPS, 2);
  assert.equal(same.status, NDIS_STATUS_SUCCESS, same.reason);
  assert.deepEqual(same.settings, first);
  const newKey = applyReceiveScaleParameters(first, { ...GOOD, flags: NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED, indirectionTable: [], hashSecretKey: otherKey }, CAPS, 2);
  assert.deepEqual([newKey.settings.hashSecretKey, newKey.settings.indirectionTable], [otherKey, first.indirectionTable]);
  // the table marked unchanged before any table was set
  expectRule({ ...GOOD, flags: NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED }, NDIS_STATUS_INVALID_PARAMETER, /0 entries/);
  for (const off of [
    { ...GOOD, flags: NDIS_RSS_PARAM_FLAG_DISABLE_RSS, hashInformation: 0xffffffff, indirectionTable: table(3, 9), hashSecretKey: new Uint8Array(1) },
    { ...GOOD, hashInformation: V4 | V6 },
  ]) {
    const r = applyReceiveScaleParameters(first, off, CAPS, 2);
    assert.equal(r.status, NDIS_STATUS_SUCCESS, r.reason);
    assert.deepEqual(r.settings, { ...first, enabled: false, hashInformation: 0 });
  }
  // RSS off, then on again with everything else unchanged: the kept key and table serve
  const offThenOn = applyReceiveScaleParameters({ ...first, enabled: false, hashInformation: 0 }, { ...GOOD, flags: NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED | NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED, indirectionTable: [], hashSecretKey: new Uint8Array(0) }, CAPS, 2);
  assert.deepEqual(offThenOn.settings, first);
});

test('the indirection table maps a hash by its low bits (N = 1, 2, 64, 128); no hash or RSS off → the default processor', () => {
  const caps128 = { ...CAPS, numberOfIndirectionTableEntries: 128 };
  for (const n of [1, 2, 64, 128]) {
    const s = applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, indirectionTable: table(n, 128), defaultProcessorNumber: cpu(127) }, caps128, 128).settings;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (hash) => {
        assert.deepEqual(rssTargetProcessor(s, NDIS_HASH_TCP_IPV4 | NdisHashFunctionToeplitz, hash), cpu(hash % n));
        assert.deepEqual(rssTargetProcessor(s, 0, hash), cpu(127));
        assert.deepEqual(rssTargetProcessor({ ...s, enabled: false }, NDIS_HASH_TCP_IPV4 | NdisHashFunctionToeplitz, hash), cpu(127));
      }),
      { numRuns: 50 },
    );
  }
  assert.deepEqual(rssTargetProcessor(RSS_SETTINGS_DISABLED, 0x201, 5), cpu(0));
});

test('settings → query answer → set: the same settings come back', () => {
  const s = applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, indirectionTable: table(8, 4), defaultProcessorNumber: cpu(2) }, CAPS, 4).settings;
  const q = receiveScaleParametersFromSettings(s);
  assert.deepEqual(q.processorMasks, [{ mask: 0b1111n, group: 0 }]);
  const bytes = encodeToBytes(paramsCodec, q);
  assert.equal(bytes.length, NDIS_SIZEOF_RECEIVE_SCALE_PARAMETERS_REVISION_3 + 32 + 40 + 4 + 16, 'fixed, table, key, padding to 8, one mask');
  const back = applyReceiveScaleParametersBuffer(RSS_SETTINGS_DISABLED, bytes, 0, bytes.length, CAPS, 4);
  assert.equal(back.status, NDIS_STATUS_SUCCESS, back.reason);
  assert.deepEqual(back.settings, s);
  assert.equal(receiveScaleParametersFromSettings(RSS_SETTINGS_DISABLED).hashInformation, 0);
});

test('rules: IPv6-EX set alone validates against EX capabilities', () => {
  const exCaps = { ...CAPS, capabilitiesFlags: CAPS.capabilitiesFlags | 0x400 };
  const r = applyReceiveScaleParameters(RSS_SETTINGS_DISABLED, { ...GOOD, hashInformation: NDIS_HASH_IPV6_EX | NDIS_HASH_TCP_IPV6_EX | NdisHashFunctionToeplitz }, exCaps, 2);
  assert.equal(r.status, NDIS_STATUS_SUCCESS, r.reason);
  expectRule({ ...GOOD, hashInformation: NDIS_HASH_UDP_IPV6 | NDIS_HASH_IPV6 | NdisHashFunctionToeplitz }, NDIS_STATUS_NOT_SUPPORTED, /0x8000/, RSS_SETTINGS_DISABLED, { ...CAPS, capabilitiesFlags: NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 | NdisHashFunctionToeplitz });
});
