import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/ndis/constants.js';

test('constants: values printed in the spec', () => {
  assert.equal(C.NDIS_RECEIVE_FLAGS_RESOURCES, 0x2);
  assert.equal(C.NDIS_RECEIVE_FLAGS_SWITCH_SINGLE_SOURCE, 0x8000);
  assert.equal(C.NDIS_SEND_FLAGS_SWITCH_SINGLE_SOURCE, 0x20);
  assert.equal(C.NDIS_SEND_COMPLETE_FLAGS_SWITCH_SINGLE_SOURCE, 0x4);
  assert.equal(C.NDIS_RETURN_FLAGS_SINGLE_QUEUE, 0x2);
  assert.equal(C.NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, 0x8000);
  assert.equal(C.NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS, 0x2);
  assert.equal(C.NDIS_PACKET_TYPE_NO_LOCAL, 0x10000);
  assert.equal(C.NDIS_MAC_OPTION_8021Q_VLAN, 0x200);
  assert.equal(C.NDIS_MAC_OPTION_RESERVED, 0x80000000);
  assert.equal(C.NdisMediumIP, 19);
  assert.equal(C.NdisMediumMax, 20);
  assert.equal(C.NdisPhysicalMedium802_3, 14);
  assert.equal(C.NdisPhysicalMediumMax, 21);
  assert.equal(C.NDIS_PAUSE_MINIPORT_DEVICE_REMOVE, 0x80);
  assert.equal(C.NetEventRestart, 9);
  assert.equal(C.NetEventMaximum, 23);
  assert.equal(C.NdisDevicePnPEventFilterListChanged, 6);
  assert.equal(C.NdisDeviceStateD0, 1);
  assert.equal(C.NdisDeviceStateD3, 4);
  assert.equal(C.NdisHaltDeviceSurpriseRemoved, 3);
  assert.equal(C.NDIS_STATISTICS_FLAGS_VALID_XMIT_DISCARDS, 0x8000);
  assert.equal(C.NDIS_STATISTICS_FLAGS_VALID_BROADCAST_BYTES_XMIT, 0x200000);
  assert.equal(C.NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT, 0xa9);
  assert.equal(C.NDIS_OBJECT_TYPE_STATUS_INDICATION, 0x98);
  assert.equal(C.NET_IF_OPER_STATUS_LOWER_LAYER_DOWN, 7);
  assert.equal(C.IF_TYPE_ETHERNET_CSMACD, 6);
  assert.equal(C.NdisInterruptModerationDisabled, 3);
  assert.equal(C.NdisMediaStateDisconnected, 1);
  assert.equal(C.NDIS_LINK_SPEED_UNKNOWN, 2n ** 64n - 1n);
});

test('constants: NBL Flags ownership groups partition the 32-bit word (6.30+ and before)', () => {
  const groups = [C.NBL_FLAGS_PROTOCOL_RESERVED, C.NBL_FLAGS_MINIPORT_RESERVED, C.NBL_FLAGS_SCRATCH, C.NBL_FLAGS_NDIS_RESERVED];
  const old = [C.NBL_FLAGS_PROTOCOL_RESERVED_BEFORE_NDIS630, C.NBL_FLAGS_MINIPORT_RESERVED, C.NBL_FLAGS_SCRATCH, C.NBL_FLAGS_NDIS_RESERVED_BEFORE_NDIS630];
  for (const set of [groups, old]) {
    let union = 0;
    for (const g of set) {
      assert.equal(union & g, 0);
      union = (union | g) >>> 0;
    }
    assert.equal(union, 0xffffffff);
  }
});

test('constants: exclusive NblFlags pairs are distinct single bits', () => {
  const bits = [
    C.NDIS_NBL_FLAGS_SEND_READ_ONLY, C.NDIS_NBL_FLAGS_RECV_READ_ONLY, C.NDIS_NBL_FLAGS_HD_SPLIT,
    C.NDIS_NBL_FLAGS_IS_IPV4, C.NDIS_NBL_FLAGS_IS_IPV6, C.NDIS_NBL_FLAGS_IS_TCP, C.NDIS_NBL_FLAGS_IS_UDP,
    C.NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER, C.NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD,
    C.NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET, C.NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT,
  ];
  let union = 0;
  for (const b of bits) {
    assert.equal(b & (b - 1), 0, `0x${b.toString(16)} is one bit`);
    assert.equal(union & b, 0);
    union |= b;
  }
});

test('constants: versions, filter classes', () => {
  assert.deepEqual([...C.NDIS_MINOR_VERSIONS], [0, 1, 20, 30, 40, 50, 51, 60, 70, 80, 81, 82, 83, 84, 85, 86]);
  assert.equal(C.FILTER_CLASSES[0], 'scheduler');
  assert.equal(C.FILTER_CLASSES.indexOf('provider_address'), 8);
  assert.ok(C.FILTER_CLASSES.indexOf('vpn') < C.FILTER_CLASSES.indexOf('failover'));
  assert.equal(new Set(C.FILTER_CLASSES).size, C.FILTER_CLASSES.length);
});

test('constants: structure sizes follow from the field lists and x64 alignment', () => {
  const header = 4, ulong = 4, ulong64 = 8;
  // NDIS_LINK_STATE: two ULONGs after the header end at 12, so XmitLinkSpeed is padded to 16.
  assert.equal(C.NDIS_SIZEOF_LINK_STATE_REVISION_1, 16 + 2 * ulong64 + 2 * ulong);
  assert.equal(C.NDIS_SIZEOF_LINK_PARAMETERS_REVISION_1, header + ulong + 2 * ulong64 + 2 * ulong);
  assert.equal(C.NDIS_SIZEOF_STATISTICS_INFO_REVISION_1, header + ulong + 18 * ulong64);
  assert.equal(C.NDIS_SIZEOF_INTERRUPT_MODERATION_PARAMETERS_REVISION_1, header + 2 * ulong);
});
