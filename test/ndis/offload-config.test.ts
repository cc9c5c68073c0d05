/**
 * NDIS_OFFLOAD operations: applying OID_TCP_OFFLOAD_PARAMETERS (every value of every field), the
 * intermediate-driver intersection, the one-line description.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyOffloadParameters, describeOffload, intersectOffload, isOffloadNone, offloadEquals } from '../../src/ndis/offload-config.js';
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q,
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
  type NdisOffload,
} from '../../src/ndis/offload.js';
import { FULL_OFFLOAD, arbitraryOffload, arbitraryOffloadParameters } from '../support/offload.js';

const P = NDIS_OFFLOAD_PARAMETERS_NO_CHANGES;

test('applyOffloadParameters: all NO_CHANGE keeps the configuration', () => {
  assert.deepEqual(applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, P), FULL_OFFLOAD);
  assert.deepEqual(applyOffloadParameters(NDIS_OFFLOAD_NONE, FULL_OFFLOAD, P), NDIS_OFFLOAD_NONE);
});

test('applyOffloadParameters: each checksum value switches exactly its direction and protocol', () => {
  const cases = [
    [NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED, false, false],
    [NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED, true, false],
    [NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED, false, true],
    [NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED, true, true],
  ] as const;
  for (const [value, tx, rx] of cases) {
    const c = applyOffloadParameters(NDIS_OFFLOAD_NONE, FULL_OFFLOAD, { ...P, tcpIpv4Checksum: value }).checksum;
    assert.equal(c.ipv4Transmit.tcpChecksum, tx);
    assert.equal(c.ipv4Receive.tcpChecksum, rx);
    assert.equal(c.ipv4Transmit.udpChecksum || c.ipv4Transmit.ipChecksum || c.ipv6Transmit.tcpChecksum || c.ipv6Receive.tcpChecksum, false);
    // The encapsulation and option bits come with the first enabled checksum, and go with the last.
    assert.equal(c.ipv4Transmit.encapsulation, tx ? NDIS_ENCAPSULATION_IEEE_802_3 : 0);
    assert.equal(c.ipv4Receive.tcpOptionsSupported, rx);
    const off = applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, { ...P, ipv4Checksum: value, tcpIpv4Checksum: value, udpIpv4Checksum: value }).checksum;
    assert.deepEqual(off.ipv4Transmit.encapsulation, tx ? NDIS_ENCAPSULATION_IEEE_802_3 : 0);
    assert.deepEqual(off.ipv6Transmit, FULL_OFFLOAD.checksum.ipv6Transmit, 'IPv6 untouched');
  }
  const v6 = applyOffloadParameters(NDIS_OFFLOAD_NONE, FULL_OFFLOAD, { ...P, udpIpv6Checksum: NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED }).checksum;
  assert.equal(v6.ipv6Receive.udpChecksum, true);
  assert.equal(v6.ipv6Receive.ipChecksum, false);
  assert.equal(v6.ipv6Transmit.udpChecksum, false);
});

test('applyOffloadParameters: never beyond the hardware capabilities', () => {
  const hw: NdisOffload = { ...NDIS_OFFLOAD_NONE, rsc: { ipv4Enabled: true, ipv6Enabled: false } };
  const all = {
    ...P,
    ipv4Checksum: NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
    tcpIpv4Checksum: NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
    tcpIpv6Checksum: NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
    lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED,
    rscIPv4: NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED,
    rscIPv6: NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED,
  };
  assert.deepEqual(applyOffloadParameters(NDIS_OFFLOAD_NONE, hw, all), hw);
  // Property: whatever is asked, the result is within the hardware (intersection is a no-op).
  fc.assert(
    fc.property(arbitraryOffloadParameters, (p) => {
      const cur = applyOffloadParameters(NDIS_OFFLOAD_NONE, FULL_OFFLOAD, p);
      assert.ok(offloadEquals(intersectOffload(cur, FULL_OFFLOAD), cur));
    }),
    { numRuns: 300 },
  );
});

test('applyOffloadParameters: LSOv2 and RSC per IP version', () => {
  const noLso4 = applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, { ...P, lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED });
  assert.equal(noLso4.lsoV2.ipv4.encapsulation, 0);
  assert.equal(noLso4.lsoV2.ipv4.maxOffLoadSize, 0);
  assert.deepEqual(noLso4.lsoV2.ipv6, FULL_OFFLOAD.lsoV2.ipv6);
  const back = applyOffloadParameters(noLso4, FULL_OFFLOAD, { ...P, lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED });
  assert.deepEqual(back, FULL_OFFLOAD);
  const noRsc6 = applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, { ...P, rscIPv6: NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED });
  assert.deepEqual(noRsc6.rsc, { ipv4Enabled: true, ipv6Enabled: false });
});

test('intersectOffload: AND of flags and masks, min MaxOffLoadSize, max MinSegmentCount; commutative, idempotent', () => {
  const other: NdisOffload = {
    ...FULL_OFFLOAD,
    checksum: { ...FULL_OFFLOAD.checksum, ipv4Transmit: { ...FULL_OFFLOAD.checksum.ipv4Transmit, udpChecksum: false, encapsulation: NDIS_ENCAPSULATION_IEEE_802_3 | NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q } },
    lsoV2: { ...FULL_OFFLOAD.lsoV2, ipv4: { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: 32000, minSegmentCount: 3 } },
    rsc: { ipv4Enabled: false, ipv6Enabled: true },
  };
  const x = intersectOffload(FULL_OFFLOAD, other);
  assert.equal(x.checksum.ipv4Transmit.udpChecksum, false);
  assert.equal(x.checksum.ipv4Transmit.encapsulation, NDIS_ENCAPSULATION_IEEE_802_3);
  assert.deepEqual(x.lsoV2.ipv4, { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: 32000, minSegmentCount: 3 });
  assert.deepEqual(x.rsc, { ipv4Enabled: false, ipv6Enabled: true });
  assert.deepEqual(intersectOffload(FULL_OFFLOAD, NDIS_OFFLOAD_NONE), NDIS_OFFLOAD_NONE);
  fc.assert(
    fc.property(arbitraryOffload, arbitraryOffload, (a, b) => {
      assert.ok(offloadEquals(intersectOffload(a, b), intersectOffload(b, a)));
      const aa = intersectOffload(a, a);
      assert.ok(offloadEquals(intersectOffload(aa, aa), aa));
    }),
    { numRuns: 200 },
  );
});

test('describeOffload: one compact line', () => {
  assert.equal(describeOffload(NDIS_OFFLOAD_NONE), 'none');
  assert.ok(isOffloadNone(NDIS_OFFLOAD_NONE));
  assert.equal(describeOffload(FULL_OFFLOAD), 'csum tx v4:ip+tcp+udp v6:tcp+udp rx v4:ip+tcp+udp v6:tcp+udp | lsov2 v4 v6 ≤64000 | rsc v4 v6');
  const txOnly = applyOffloadParameters(NDIS_OFFLOAD_NONE, FULL_OFFLOAD, { ...P, tcpIpv4Checksum: NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED });
  assert.equal(describeOffload(txOnly), 'csum tx v4:tcp');
  assert.ok(!isOffloadNone(txOnly));
});
