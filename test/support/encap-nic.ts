/**
 * A test miniport that advertises NVGRE and VXLAN encapsulated-packet task offload (checksums and LSOv2,
 * inner and outer IPv4/IPv6, VXLAN port 4789) in its NDIS_OFFLOAD, for the gateway's offload path. Loaded
 * by a stack config as a driver module (`drivers: [<this file>]`); the test reaches its adapters through
 * `encapNic`. The encapsulation fields are the revision-4 NDIS_OFFLOAD fields, spelled as the gateway
 * reads them (src/drivers/intermediate/overlay/encap-offload.ts) until they are part of NdisOffload.
 */
import { softwareOffloadCapabilities } from '../../src/drivers/common/task-offload.js';
import { NDIS_ENCAPSULATION_TYPE_GRE_MAC, NDIS_ENCAPSULATION_TYPE_VXLAN, type NdisOffloadEncapsulationView } from '../../src/drivers/intermediate/overlay/index.js';
import type { NdisOffload } from '../../src/ndis/index.js';
import { TestMiniportDriver } from './test-drivers.js';

const ALL = 0xf;
const task = { transmitChecksumOffloadSupported: ALL, lsoV2Supported: ALL, maxHeaderSizeSupported: 256 };

export const ENCAP_NIC_OFFLOAD: NdisOffload & NdisOffloadEncapsulationView = {
  ...softwareOffloadCapabilities(false),
  encapsulationTypes: NDIS_ENCAPSULATION_TYPE_GRE_MAC | NDIS_ENCAPSULATION_TYPE_VXLAN,
  encapsulatedPacketTaskOffloadGre: task,
  encapsulatedPacketTaskOffloadVxlan: { ...task, vxlanUdpPortNumber: 4789 },
};

export const encapNic = new TestMiniportDriver({ name: 'test.encap-nic', mac: Uint8Array.of(2, 0, 0, 0, 0x30, 1), offload: { hardware: ENCAP_NIC_OFFLOAD } });
export const driver = encapNic.characteristics;
