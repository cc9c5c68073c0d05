/**
 * Receive checksums across the tunnel (§2.1, §6.4): the engine's validation of outer IPv4, inner IPv4
 * and inner TCP/UDP, and the TAP reporting it for NVGRE / VXLAN frames the kernel marked DATA_VALID
 * (which covers the outer headers only) once the encapsulated offload is on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENCAP_OK, EncapLayout, parseEncapsulated, validateEncapsulatedChecksums } from '../../src/drivers/common/encap-segment.js';
import { withSoftwareEncapsulatedOffload } from '../../src/drivers/common/task-offload.js';
import { TapOffload } from '../../src/drivers/miniport/tap/offload.js';
import { tapHardwareOffload } from '../../src/drivers/miniport/tap/offload-caps.js';
import { BufferAllocator } from '../../src/ndis/buffers/allocator.js';
import { NetBufferListPool } from '../../src/ndis/buffers/pools.js';
import {
  CHECKSUM_RX_IP_CHECKSUM_FAILED as IP_BAD,
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED as IP_OK,
  CHECKSUM_RX_TCP_CHECKSUM_FAILED as TCP_BAD,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED as TCP_OK,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED as UDP_OK,
} from '../../src/ndis/nbl-info-bits.js';
import { encapFrame, offsetsOf, type EncapFrame } from '../support/encap-frames.js';

const F: EncapFrame = { tunnel: 'vxlan', outer6: false, inner6: false, outerId: 1, innerId: 2, seq: 3, flags: 0x10, payload: new Uint8Array(300).fill(9) };

function validate(f: EncapFrame, b: Uint8Array): number {
  const L = new EncapLayout();
  assert.equal(parseEncapsulated(b, 0, b.length, true, 4789, 256, L), ENCAP_OK);
  return validateEncapsulatedChecksums(b, 0, b.length, L);
}

test('validation: good frames succeed; a bad outer or inner IPv4 header fails IP, a bad inner TCP fails TCP', () => {
  for (const f of [F, { ...F, tunnel: 'gre' as const }, { ...F, outer6: true }, { ...F, inner6: true }, { ...F, outer6: true, inner6: true }]) {
    const want = (f.outer6 && f.inner6 ? 0 : IP_OK) | TCP_OK;
    assert.equal(validate(f, encapFrame(f)), want, JSON.stringify({ t: f.tunnel, o6: f.outer6, i6: f.inner6 }));
  }
  const o = offsetsOf(F);
  const outerBad = encapFrame(F);
  outerBad[o.outerIp + 10]! ^= 1;
  assert.equal(validate(F, outerBad), IP_BAD | TCP_OK);
  const innerBad = encapFrame(F);
  innerBad[o.innerIp + 10]! ^= 1;
  assert.equal(validate(F, innerBad), IP_BAD | TCP_OK);
  const tcpBad = encapFrame(F);
  tcpBad[tcpBad.length - 1]! ^= 0x40;
  assert.equal(validate(F, tcpBad), IP_OK | TCP_BAD);
});

test('TAP receive: DATA_VALID on a VXLAN frame reports the inner checks once the encapsulated offload is on', () => {
  const V = 10;
  const pool = new NetBufferListPool({ capacity: 1, allocateNetBuffer: false }, new BufferAllocator());
  const nbl = pool.allocate()!;
  const tcpBad = encapFrame(F);
  tcpBad[tcpBad.length - 1]! ^= 0x40;
  const b = new Uint8Array(V + tcpBad.length);
  b[0] = 2; // VIRTIO_NET_HDR_F_DATA_VALID
  b.set(tcpBad, V);
  // Without the encapsulated offload, the outer UDP is what DATA_VALID vouches for.
  const plain = new TapOffload();
  plain.configure(tapHardwareOffload(false), true, true);
  assert.ok(plain.receive(nbl, b, 0, V, tcpBad.length));
  assert.equal(nbl.info.tcpIpChecksum, UDP_OK | IP_OK);
  const t = new TapOffload();
  t.configure(withSoftwareEncapsulatedOffload(tapHardwareOffload(false)), true, true);
  nbl.info.clear();
  assert.ok(t.receive(nbl, b, 0, V, tcpBad.length));
  assert.equal(nbl.info.tcpIpChecksum, IP_OK | TCP_BAD, 'the inner TCP checksum is bad: reported failed, the frame still indicated');
  assert.equal(t.counters.rxEncapsulatedValidated, 1);
  pool.free(nbl);
});
