/**
 * A test miniport that advertises NVGRE and VXLAN encapsulated-packet task offload (checksums and LSOv2,
 * inner and outer IPv4/IPv6, VXLAN port 4789) in its NDIS_OFFLOAD, for the gateway's offload path. Loaded
 * by a stack config as a driver module (`drivers: [<this file>]`); the test reaches its adapters through
 * `encapNic`. The encapsulation fields are the revision-4 NDIS_OFFLOAD fields (src/ndis/encapsulated-offload.ts).
 */
import { softwareOffloadCapabilities, withSoftwareEncapsulatedOffload } from '../../src/drivers/common/task-offload.js';
import type { NdisOffload } from '../../src/ndis/index.js';
import { TestMiniportDriver } from './test-drivers.js';

/** Checksums and LSOv2 across NVGRE and VXLAN (4789) for every inner/outer IP version, headers up to 256 bytes. */
export const ENCAP_NIC_OFFLOAD: NdisOffload = withSoftwareEncapsulatedOffload(softwareOffloadCapabilities(false));

export const encapNic = new TestMiniportDriver({ name: 'test.encap-nic', mac: Uint8Array.of(2, 0, 0, 0, 0x30, 1), offload: { hardware: ENCAP_NIC_OFFLOAD } });
export const driver = encapNic.characteristics;
