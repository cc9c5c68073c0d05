import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as O from '../../src/ndis/oids.js';
import { OIDS, oidFromName, oidName, requestTypeName } from '../../src/ndis/oids.js';

test('oids: values printed in the spec', () => {
  assert.equal(O.OID_GEN_SUPPORTED_LIST, 0x00010101);
  assert.equal(O.OID_GEN_CURRENT_PACKET_FILTER, 0x0001010e);
  assert.equal(O.OID_GEN_LINK_STATE, 0x00010207);
  assert.equal(O.OID_GEN_LINK_PARAMETERS, 0x00010208);
  assert.equal(O.OID_GEN_INTERRUPT_MODERATION, 0x00010209);
  assert.equal(O.OID_GEN_PHYSICAL_MEDIUM_EX, 0x00010213);
  assert.equal(O.OID_GEN_STATISTICS, 0x00020106);
  assert.equal(O.OID_GEN_XMIT_DISCARDS, 0x0002021c);
  assert.equal(O.OID_PNP_SET_POWER, 0xfd010101);
  assert.equal(O.OID_802_3_MULTICAST_LIST, 0x01010103);
  assert.equal(O.OID_802_3_DELETE_MULTICAST_ADDRESS, 0x01010209);
  assert.equal(O.OID_802_3_XMIT_LATE_COLLISIONS, 0x01020207);
  assert.equal(O.OID_GEN_RECEIVE_SCALE_PARAMETERS, 0x00010204);
  assert.equal(O.OID_TCP_OFFLOAD_PARAMETERS, 0xfc01020c);
});

test('oids: request types', () => {
  assert.deepEqual(
    [O.NdisRequestQueryInformation, O.NdisRequestSetInformation, O.NdisRequestQueryStatistics, O.NdisRequestMethod],
    [0, 1, 2, 12],
  );
  assert.equal(requestTypeName(12), 'NdisRequestMethod');
  assert.equal(requestTypeName(5), 'NdisRequestType(5)');
});

test('oids: every exported OID_* is in OIDS, values distinct, oidName round-trips', () => {
  const exported = Object.entries(O).filter(([k]) => k.startsWith('OID_'));
  assert.equal(Object.keys(OIDS).length, exported.length);
  const seen = new Set<number>();
  for (const [name, value] of exported) {
    assert.equal((OIDS as Record<string, number>)[name], value, name);
    assert.ok(typeof value === 'number' && value >= 0 && value <= 0xffffffff, name);
    assert.ok(!seen.has(value), `${name} duplicated`);
    seen.add(value);
    assert.equal(oidName(value), name);
    assert.equal(oidFromName(name), value);
  }
});

test('oids: unknown OIDs print as hex; signed input is normalised', () => {
  assert.equal(oidName(0xff000001), '0xFF000001');
  assert.equal(oidName(O.OID_PNP_QUERY_POWER | 0), 'OID_PNP_QUERY_POWER');
  assert.equal(oidFromName('OID_NOPE'), undefined);
});
