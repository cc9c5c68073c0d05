/**
 * tsndis.vlan and encapsulated (NVGRE / VXLAN) offload: the virtual miniport carries the lower adapter's
 * encapsulated blocks only when the adapter handles tagged frames, and moves an encapsulated send's
 * InnerFrameOffset by the tag it inserts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SOFTWARE_ENCAPSULATED_OFFLOAD, softwareOffloadCapabilities, withSoftwareEncapsulatedOffload } from '../../../src/drivers/common/task-offload.js';
import { vlanOffload } from '../../../src/drivers/intermediate/vlan/offload.js';
import { shiftSupplementalInfo } from '../../../src/drivers/intermediate/vlan/shared.js';
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q,
  readSendOffloadsSupplemental,
  sendOffloadsSupplemental,
  type NdisOffload,
} from '../../../src/ndis/index.js';

function taggedCapable(o: NdisOffload): NdisOffload {
  const t = NDIS_ENCAPSULATION_IEEE_802_3 | NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q;
  return { ...o, checksum: { ...o.checksum, ipv4Transmit: { ...o.checksum.ipv4Transmit, encapsulation: t } } };
}

test('vlanOffload: encapsulated offload carried over only when the adapter below takes tagged frames', () => {
  const lower = withSoftwareEncapsulatedOffload(softwareOffloadCapabilities(false));
  const untagged = vlanOffload(lower);
  assert.equal(untagged.encapsulationTypes, undefined);
  const tagged = vlanOffload(taggedCapable(lower));
  assert.equal(tagged.encapsulationTypes, SOFTWARE_ENCAPSULATED_OFFLOAD.encapsulationTypes);
  assert.deepEqual(tagged.encapsulatedPacketTaskOffloadVxlan, SOFTWARE_ENCAPSULATED_OFFLOAD.encapsulatedPacketTaskOffloadVxlan);
  assert.equal(vlanOffload(taggedCapable(softwareOffloadCapabilities(false))).encapsulationTypes, undefined, 'nothing to carry');
});

test('shiftSupplementalInfo: InnerFrameOffset + 4, the other fields kept; overflow of the 8 bits is refused', () => {
  const info = { isEncapsulatedPacket: true, encapsulatedPacketOffsetsValid: true, innerFrameOffset: 50, transportIpHeaderRelativeOffset: 14, tcpHeaderRelativeOffset: 20, isInnerIPv6: true, tcpOptionsPresent: true };
  const v = sendOffloadsSupplemental(info);
  assert.deepEqual(readSendOffloadsSupplemental(shiftSupplementalInfo(v, 4)), { ...info, innerFrameOffset: 54 });
  assert.equal(shiftSupplementalInfo(sendOffloadsSupplemental({ ...info, innerFrameOffset: 252 }), 4), -1);
  // Not encapsulated, or offsets not given: unchanged.
  assert.equal(shiftSupplementalInfo(0, 4), 0);
  const noOffsets = sendOffloadsSupplemental({ isEncapsulatedPacket: true, isInnerIPv6: true });
  assert.equal(shiftSupplementalInfo(noOffsets, 4), noOffsets);
});
