import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as S from '../../src/ndis/status.js';
import { STATUS_CODES, statusFromName, statusHex, statusName } from '../../src/ndis/status.js';

test('status: values printed in the spec', () => {
  assert.equal(S.NDIS_STATUS_SUCCESS, 0);
  assert.equal(S.NDIS_STATUS_PENDING, 0x103);
  assert.equal(S.NDIS_STATUS_PAUSED, 0xc023002a);
  assert.equal(S.NDIS_STATUS_SEND_ABORTED, 0xc023000c);
  assert.equal(S.NDIS_STATUS_REQUEST_ABORTED, 0xc001000c);
  assert.equal(S.NDIS_STATUS_MEDIA_DISCONNECTED, 0xc023001f);
  assert.equal(S.NDIS_STATUS_NO_CABLE, 0xc001001f);
  assert.equal(S.NDIS_STATUS_INVALID_LENGTH, 0xc0010014);
  assert.equal(S.NDIS_STATUS_BUFFER_TOO_SHORT, 0xc0010016);
  assert.equal(S.NDIS_STATUS_RESOURCES, 0xc000009a);
  assert.equal(S.NDIS_STATUS_NOT_ACCEPTED, 0x00010003);
  assert.equal(S.NDIS_STATUS_UNSUPPORTED_REVISION, 0xc023002c);
  assert.equal(S.NDIS_STATUS_INDICATION_REQUIRED, 0x40230001);
  assert.equal(S.NDIS_STATUS_LINK_STATE, 0x40010017);
  assert.equal(S.NDIS_STATUS_RESET_START, 0x40010004);
  assert.equal(S.NDIS_STATUS_OFFLOAD_ENCASPULATION_CHANGE, 0x40020008);
  assert.equal(S.NDIS_STATUS_OFFLOAD_REQUEST_RESET, 0xc0231011);
});

test('status: every exported NDIS_STATUS_* is in STATUS_CODES under its own name', () => {
  const exported = Object.entries(S).filter(([k]) => k.startsWith('NDIS_STATUS_'));
  assert.ok(exported.length > 90);
  for (const [name, value] of exported) {
    assert.equal(typeof value, 'number', name);
    assert.equal((STATUS_CODES as Record<string, number>)[name], value, name);
  }
  assert.equal(Object.keys(STATUS_CODES).length, exported.length);
});

test('status: values are unsigned 32-bit and distinct, so statusName round-trips', () => {
  const seen = new Map<number, string>();
  for (const [name, value] of Object.entries(STATUS_CODES)) {
    assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, name);
    assert.equal(seen.get(value), undefined, `${name} duplicates ${seen.get(value)}`);
    seen.set(value, name);
    assert.equal(statusName(value), name);
    assert.equal(statusFromName(name), value);
  }
});

test('status: statusName accepts the signed form and falls back to hex', () => {
  assert.equal(statusName(S.NDIS_STATUS_PAUSED | 0), 'NDIS_STATUS_PAUSED');
  assert.equal(statusName(0xc0ffee00), '0xC0FFEE00');
  assert.equal(statusName(7), '0x00000007');
  assert.equal(statusHex(-1), '0xFFFFFFFF');
  assert.equal(statusFromName('NDIS_STATUS_NOPE'), undefined);
  assert.equal(statusFromName('toString'), undefined);
});

test('status: statusName never throws and is a name or 10-char hex', () => {
  fc.assert(
    fc.property(fc.integer({ min: -0x80000000, max: 0xffffffff }), (code) => {
      const n = statusName(code);
      assert.ok(n.startsWith('NDIS_STATUS_') || /^0x[0-9A-F]{8}$/.test(n), n);
    }),
  );
});
