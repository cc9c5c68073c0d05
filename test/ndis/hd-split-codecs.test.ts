/**
 * Header-data split codecs (offload digest §5.1): byte vectors with every offset and size asserted,
 * the header checks (length with BytesNeeded, type, revision, Size), the parameters rule for unknown
 * combine flags, registration in OID_CODECS / OID_INFO, and round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OidCodec } from '../../src/ndis/oid-codec-types.js';
import {
  NDIS_HD_SPLIT_CAPS_SUPPORTS_HEADER_DATA_SPLIT,
  NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV4_OPTIONS,
  NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV6_EXTENSION_HEADERS,
  NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS,
  NDIS_HD_SPLIT_COMBINE_ALL_HEADERS,
  NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT,
  NDIS_SIZEOF_HD_SPLIT_ATTRIBUTES_REVISION_1,
  NDIS_SIZEOF_HD_SPLIT_CURRENT_CONFIG_REVISION_1,
  NDIS_SIZEOF_HD_SPLIT_PARAMETERS_REVISION_1,
  hdSplitAttributesCodec,
  hdSplitCurrentConfigCodec,
  hdSplitParametersCodec,
  validateHdSplitParameters,
  type NdisHdSplitCurrentConfig,
} from '../../src/ndis/hd-split.js';
import { OID_CODECS, OID_INFO } from '../../src/ndis/oid-codecs.js';
import { OID_GEN_HD_SPLIT_CURRENT_CONFIG, OID_GEN_HD_SPLIT_PARAMETERS } from '../../src/ndis/oids.js';
import { NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG, NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_SUCCESS, NDIS_STATUS_UNSUPPORTED_REVISION } from '../../src/ndis/status.js';

function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  return Uint8Array.from({ length: s.length / 2 }, (_, i) => parseInt(s.slice(2 * i, 2 * i + 2), 16));
}

function checkVector<T>(codec: OidCodec<T>, value: T, bytes: Uint8Array): void {
  assert.equal(codec.encodedLength(value), bytes.length);
  assert.equal(codec.minLength, bytes.length);
  const buf = new Uint8Array(3 + bytes.length + 3).fill(0xa5);
  assert.equal(codec.encode(value, buf, 3), bytes.length);
  const expected = new Uint8Array(buf.length).fill(0xa5);
  expected.set(bytes, 3);
  assert.deepEqual(buf, expected, `${codec.name} bytes`);
  const r = codec.decode(buf, 3, bytes.length);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual(r.value, value);
}

test('flag and object values are the ntddndis.h ones', () => {
  assert.deepEqual(
    [NDIS_HD_SPLIT_CAPS_SUPPORTS_HEADER_DATA_SPLIT, NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV4_OPTIONS, NDIS_HD_SPLIT_CAPS_SUPPORTS_IPV6_EXTENSION_HEADERS, NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS],
    [1, 2, 4, 8],
  );
  assert.equal(NDIS_HD_SPLIT_ENABLE_HEADER_DATA_SPLIT, 1);
  assert.equal(NDIS_HD_SPLIT_COMBINE_ALL_HEADERS, 1);
  assert.equal(OID_GEN_HD_SPLIT_PARAMETERS, 0x0001021e);
  assert.equal(OID_GEN_HD_SPLIT_CURRENT_CONFIG, 0x00010220);
  assert.equal(NDIS_STATUS_HD_SPLIT_CURRENT_CONFIG, 0x4002000c);
  assert.deepEqual([NDIS_SIZEOF_HD_SPLIT_ATTRIBUTES_REVISION_1, NDIS_SIZEOF_HD_SPLIT_PARAMETERS_REVISION_1, NDIS_SIZEOF_HD_SPLIT_CURRENT_CONFIG_REVISION_1], [24, 8, 28]);
});

test('NDIS_HD_SPLIT_ATTRIBUTES: 24 bytes, type 0xAB, fields at 4/8/12/16/20', () => {
  checkVector(
    hdSplitAttributesCodec,
    { hardwareCapabilities: 0xf, currentCapabilities: 0x9, hdSplitFlags: 1, backfillSize: 0x100, maxHeaderSize: 0x80 },
    hex('ab 01 1800', '0f000000', '09000000', '01000000', '00010000', '80000000'),
  );
});

test('NDIS_HD_SPLIT_PARAMETERS: 8 bytes, DEFAULT type, HDSplitCombineFlags at 4', () => {
  checkVector(hdSplitParametersCodec, { hdSplitCombineFlags: NDIS_HD_SPLIT_COMBINE_ALL_HEADERS }, hex('80 01 0800', '01000000'));
});

test('NDIS_HD_SPLIT_CURRENT_CONFIG: 28 bytes, fields at 4/8/12/16/20/24', () => {
  checkVector(
    hdSplitCurrentConfigCodec,
    { hardwareCapabilities: 0x0f, currentCapabilities: 0x0b, hdSplitFlags: 1, hdSplitCombineFlags: 0, backfillSize: 0x0102, maxHeaderSize: 0x0304 },
    hex('80 01 1c00', '0f000000', '0b000000', '01000000', '00000000', '02010000', '04030000'),
  );
});

test('short buffers: INVALID_LENGTH with BytesNeeded = the revision-1 size; lying length clamped', () => {
  for (const [codec, size] of [
    [hdSplitParametersCodec, 8],
    [hdSplitCurrentConfigCodec, 28],
    [hdSplitAttributesCodec, 24],
  ] as const) {
    const full = new Uint8Array(size);
    (codec as OidCodec<unknown>).encode(codec === hdSplitParametersCodec ? { hdSplitCombineFlags: 0 } : { hardwareCapabilities: 0, currentCapabilities: 0, hdSplitFlags: 0, hdSplitCombineFlags: 0, backfillSize: 0, maxHeaderSize: 0 }, full, 0);
    for (const n of [0, 1, 4, size - 1]) {
      const r = codec.decode(full, 0, n);
      assert.ok(!r.ok);
      assert.equal(r.status, NDIS_STATUS_INVALID_LENGTH, `${codec.name} ${n}`);
      assert.equal(r.bytesNeeded, size);
    }
    // The claimed length is larger than the buffer: only the bytes present count.
    const r = codec.decode(full.subarray(0, size - 2), 0, size + 100);
    assert.ok(!r.ok && r.status === NDIS_STATUS_INVALID_LENGTH && r.bytesNeeded === size);
    // Header.Size below the revision-1 size.
    const small = full.slice();
    small[2] = size - 1;
    const s = codec.decode(small, 0, size);
    assert.ok(!s.ok && s.status === NDIS_STATUS_INVALID_LENGTH && s.bytesNeeded === size);
    // Wrong type, revision 0.
    const t = full.slice();
    t[0] = 0x81;
    const rt = codec.decode(t, 0, size);
    assert.ok(!rt.ok && rt.status === NDIS_STATUS_INVALID_PARAMETER);
    const rv = full.slice();
    rv[1] = 0;
    const rr = codec.decode(rv, 0, size);
    assert.ok(!rr.ok && rr.status === NDIS_STATUS_UNSUPPORTED_REVISION);
  }
});

test('OID_GEN_HD_SPLIT_PARAMETERS: unknown combine flags are INVALID_PARAMETER', () => {
  assert.equal(validateHdSplitParameters({ hdSplitCombineFlags: 0 }), NDIS_STATUS_SUCCESS);
  assert.equal(validateHdSplitParameters({ hdSplitCombineFlags: 1 }), NDIS_STATUS_SUCCESS);
  assert.equal(validateHdSplitParameters({ hdSplitCombineFlags: 2 }), NDIS_STATUS_INVALID_PARAMETER);
  assert.equal(validateHdSplitParameters({ hdSplitCombineFlags: 0x80000001 }), NDIS_STATUS_INVALID_PARAMETER);
});

test('registered in OID_CODECS and OID_INFO (parameters set-only, current config query-only)', () => {
  assert.equal(OID_CODECS.get(OID_GEN_HD_SPLIT_PARAMETERS), hdSplitParametersCodec);
  assert.equal(OID_CODECS.get(OID_GEN_HD_SPLIT_CURRENT_CONFIG), hdSplitCurrentConfigCodec);
  const p = OID_INFO.get(OID_GEN_HD_SPLIT_PARAMETERS)!;
  assert.deepEqual([p.name, p.query, p.set], ['OID_GEN_HD_SPLIT_PARAMETERS', false, true]);
  const c = OID_INFO.get(OID_GEN_HD_SPLIT_CURRENT_CONFIG)!;
  assert.deepEqual([c.name, c.query, c.set], ['OID_GEN_HD_SPLIT_CURRENT_CONFIG', true, false]);
});

test('current config round-trips and a later revision is read through its revision-1 prefix', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  fc.assert(
    fc.property(fc.record({ hardwareCapabilities: u32, currentCapabilities: u32, hdSplitFlags: u32, hdSplitCombineFlags: u32, backfillSize: u32, maxHeaderSize: u32 }), (v: NdisHdSplitCurrentConfig) => {
      const b = new Uint8Array(40);
      hdSplitCurrentConfigCodec.encode(v, b, 0);
      b[1] = 2;
      b[2] = 40;
      const r = hdSplitCurrentConfigCodec.decode(b, 0, 40);
      assert.ok(r.ok);
      assert.deepEqual(r.value, { ...v });
    }),
  );
});
