/**
 * LSOv1 and USO in the TAP miniport's offload translation, without a kernel: the virtio-net header
 * byte for byte, the header fields patched for the kernel (and restored), what the kernel then builds,
 * the software USO path when the kernel takes no GSO_UDP_L4, and every refusal with its status and
 * counter (LSO/USO switched off, MSS above the MTU, headers outside the first MDL, too few segments,
 * LSOv1 over IPv6 or without its total length).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TapOffload } from '../../src/drivers/miniport/tap/offload.js';
import { tapHardwareOffload } from '../../src/drivers/miniport/tap/offload-caps.js';
import { BufferAllocator } from '../../src/ndis/buffers/allocator.js';
import { NetBufferListPool } from '../../src/ndis/buffers/pools.js';
import {
  NDIS_OFFLOAD_PARAMETERS_LSOV1_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_PARAMETERS_USO_DISABLED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4,
  lsoV1Transmit,
  usoTransmit,
  type NetBufferList,
} from '../../src/ndis/index.js';
import { applyOffloadParameters } from '../../src/ndis/offload-config.js';
import { checksum, ip4, mac } from '../support/frames.js';
import { L4_OFFSET, TCP_ACK, TCP_PSH, checksumOffloadForm, checksumsValid, lsoV2Form, tcp4Frame } from '../support/offload-frames.js';

const HW = tapHardwareOffload(true);
const V = 10;
const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const SRC = ip4('198.18.0.2');
const DST = ip4('198.18.0.1');

const pool = new NetBufferListPool({ capacity: 2, allocateNetBuffer: false }, new BufferAllocator());
const nbls = [pool.allocate()!, pool.allocate()!];
let turn = 0;
function nbl(lso = 0, uso = 0): NetBufferList {
  const n = nbls[turn++ % nbls.length]!;
  n.info.clear();
  n.info.tcpLargeSend = lso;
  n.info.udpSegmentationOffloadInfo = uso;
  return n;
}

function engine(config = HW, mtu = 1500, kernelUso = true): TapOffload {
  const t = new TapOffload();
  t.configure(config, true, true);
  t.mtu = mtu;
  t.kernelUso = kernelUso;
  return t;
}

function withHeader(frame: Uint8Array): Uint8Array {
  const b = new Uint8Array(V + frame.length);
  b.set(frame, V);
  return b;
}
const hdr = (b: Uint8Array): string => Buffer.from(b.subarray(0, V)).toString('hex');
const le16 = (v: number): string => Buffer.from([v & 0xff, v >> 8]).toString('hex');
const rd16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

function kernelFinish(b: Uint8Array): Uint8Array {
  const f = b.slice(V);
  const start = b[6]! | (b[7]! << 8);
  const off = b[8]! | (b[9]! << 8);
  if ((b[0]! & 1) !== 0) {
    const c = checksum(f, start, f.length) || 0xffff;
    f[start + off] = c >> 8;
    f[start + off + 1] = c & 0xff;
  }
  return f;
}

/** The LSOv1 form (§2.4): IP total length of the whole large packet, header checksum left 0, seed without the TCP length. */
function lsoV1Form(full: Uint8Array): Uint8Array {
  const f = lsoV2Form(full);
  const total = full.length - 14;
  f[16] = total >> 8;
  f[17] = total & 0xff;
  return f;
}

test('LSOv1 over IPv4: GSO_TCPV4 with the protocol\'s total length kept, header checksum and seed fixed for the kernel, all restored', () => {
  const payload = Uint8Array.from({ length: 4000 }, (_, i) => (i * 11) & 0xff);
  const full = tcp4Frame({ srcMac: A, dstMac: B, src: SRC, dst: DST, sport: 1234, dport: 80, seq: 1000, ack: 2000, flags: TCP_ACK | TCP_PSH, payload, id: 0xfffe });
  const v1 = lsoV1Form(full);
  const b = withHeader(v1);
  const t = engine();
  assert.equal(t.transmit(nbl(lsoV1Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET })), b, 0, V, v1.length), NDIS_STATUS_SUCCESS);
  assert.equal(hdr(b), '01' + '01' + le16(54) + le16(1460) + le16(34) + le16(16));
  // The kernel gets the complete large frame: the protocol's total length, a valid header checksum, the seed with the length.
  assert.deepEqual(b.subarray(V), checksumOffloadForm(full, false));
  assert.ok(checksumsValid(kernelFinish(b)));
  t.restore(b);
  assert.deepEqual(b.subarray(V), v1, 'the protocol\'s bytes are back');
  assert.equal(t.largeSendPayload, 4000, 'what the adapter writes back as TcpPayload');
  assert.deepEqual([t.counters.txLsoV1Frames, t.counters.txLsoFrames, t.counters.txLsoSegments], [1, 1, 3]);
});

test('LSOv1 refusals: switched off (FAILURE), over IPv6 or with total length 0 (INVALID_PACKET), MSS above the MTU (INVALID_LENGTH), headers split, too few segments', () => {
  const full = tcp4Frame({ srcMac: A, dstMac: B, src: SRC, dst: DST, sport: 1, dport: 2, seq: 1, ack: 1, flags: TCP_ACK, payload: new Uint8Array(3000), id: 1 });
  const v1 = lsoV1Form(full);
  const info = lsoV1Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET });
  const off = engine(applyOffloadParameters(HW, HW, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, lsoV1: NDIS_OFFLOAD_PARAMETERS_LSOV1_DISABLED }));
  const b = withHeader(v1);
  assert.equal(off.transmit(nbl(info), b, 0, V, v1.length), NDIS_STATUS_FAILURE);
  assert.deepEqual(b.subarray(V), v1, 'untouched');
  const t = engine();
  assert.equal(t.transmit(nbl(info), withHeader(lsoV2Form(full)), 0, V, v1.length), NDIS_STATUS_INVALID_PACKET, 'total length 0 is the LSOv2 form');
  assert.equal(t.transmit(nbl(lsoV1Transmit({ mss: 1461, tcpHeaderOffset: L4_OFFSET })), withHeader(v1), 0, V, v1.length), NDIS_STATUS_INVALID_LENGTH, '20 + 20 + 1461 > 1500');
  assert.equal(t.transmit(nbl(info), withHeader(v1), 0, V, v1.length, 40), NDIS_STATUS_INVALID_PACKET, 'the first MDL ends inside the TCP header');
  assert.equal(t.transmit(nbl(lsoV1Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET })), withHeader(lsoV1Form(tcp4Frame({ srcMac: A, dstMac: B, src: SRC, dst: DST, sport: 1, dport: 2, seq: 1, ack: 1, flags: TCP_ACK, payload: new Uint8Array(1000), id: 1 }))), 0, V, 1054), NDIS_STATUS_INVALID_PACKET, 'one segment < MinSegmentCount 2');
  const c = t.counters;
  assert.deepEqual([c.txOffloadRefused, c.txLargeSendBadMss, c.txLargeSendHeadersSplit, c.txLargeSendTooFewSegments, c.txLsoV1Frames], [4, 1, 1, 1, 0]);
  assert.equal(off.counters.txOffloadRefused, 1);
});

/** The USO form of a UDP/IPv4 datagram: lengths as the protocol left them (0), seed without the length. */
function uso4(payload: Uint8Array, id = 0x1000): Uint8Array {
  const f = new Uint8Array(42 + payload.length);
  f.set(B, 0);
  f.set(A, 6);
  f.set([0x08, 0x00, 0x45, 0, 0, 0, id >> 8, id & 0xff, 0x40, 0, 64, 17, 0, 0], 12);
  f.set(SRC, 26);
  f.set(DST, 30);
  f.set([0x13, 0x88, 0x13, 0x89, 0, 0], 34);
  let s = 17;
  for (const ip of [SRC, DST]) s += ((ip[0]! << 8) | ip[1]!) + ((ip[2]! << 8) | ip[3]!);
  s = (s & 0xffff) + (s >>> 16);
  f[40] = s >> 8;
  f[41] = s & 0xff;
  f.set(payload, 42);
  return f;
}

test('USO through the kernel: GSO_UDP_L4, csum at the UDP checksum, total length / UDP length / seed for the whole datagram, restored after', () => {
  const payload = Uint8Array.from({ length: 4000 }, (_, i) => (i * 5) & 0xff);
  const u = uso4(payload);
  const b = withHeader(u);
  const t = engine();
  const info = usoTransmit({ mss: 1400, udpHeaderOffset: 34, ipVersion: NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 });
  assert.equal(t.transmit(nbl(0, info), b, 0, V, u.length), NDIS_STATUS_SUCCESS);
  assert.equal(t.softwareUso, false);
  // NEEDS_CSUM, GSO_UDP_L4 (5), hdr_len 42, gso_size 1400, csum_start 34, csum_offset 6
  assert.equal(hdr(b), '01' + '05' + le16(42) + le16(1400) + le16(34) + le16(6));
  const f = b.subarray(V);
  assert.equal(rd16(f, 16), u.length - 14, 'IPv4 total length of the whole datagram');
  assert.equal(checksum(f, 14, 34), 0, 'IPv4 header checksum');
  assert.equal(rd16(f, 38), u.length - 34, 'UDP length of the whole datagram');
  // Finished like the kernel would for an unsegmented datagram: a valid UDP checksum over the pseudo-header with the length.
  const done = kernelFinish(b);
  const pseudo = Uint8Array.of(...SRC, ...DST, 0, 17, (u.length - 34) >> 8, (u.length - 34) & 0xff);
  let ps = 0;
  for (let i = 0; i < pseudo.length; i += 2) ps += (pseudo[i]! << 8) | pseudo[i + 1]!;
  assert.equal(checksum(done, 34, done.length, ps), 0);
  t.restore(b);
  assert.deepEqual(b.subarray(V), u);
  assert.deepEqual([t.counters.txUsoKernelFrames, t.counters.txUsoDatagrams, t.counters.txUsoPayloadBytes, t.largeSendPayload], [1, 3, 4000, 4000]);
});

test('USO in software: without kernel USO (or with a zero IPv4 seed) the datagrams are made here, each behind an empty virtio-net header', () => {
  const payload = Uint8Array.from({ length: 3500 }, (_, i) => (i * 3) & 0xff);
  const u = uso4(payload, 0xffff);
  const t = engine(HW, 1500, false);
  const info = usoTransmit({ mss: 1400, udpHeaderOffset: 34, ipVersion: 0 });
  const b = withHeader(u);
  assert.equal(t.transmit(nbl(0, info), b, 0, V, u.length), NDIS_STATUS_SUCCESS);
  assert.equal(t.softwareUso, true);
  assert.deepEqual(b.subarray(V), u, 'nothing patched');
  const scratch = new Uint8Array(V + 1518).fill(0xee);
  const written: Uint8Array[] = [];
  const sent = t.segmentUso(info, b, V, u.length, scratch, V, (n) => {
    written.push(scratch.slice(0, n));
    return true;
  });
  assert.equal(sent, 3500);
  assert.deepEqual(written.map((w) => w.length - V - 42), [1400, 1400, 700]);
  for (const [i, w] of written.entries()) {
    assert.ok(w.subarray(0, V).every((x) => x === 0), 'empty virtio-net header');
    const d = w.subarray(V);
    assert.equal(rd16(d, 18), (0xffff + i) & 0xffff, 'IPv4 ID wraps at 16 bits');
    assert.equal(checksum(d, 14, 34), 0);
    assert.deepEqual(d.subarray(42), payload.subarray(i * 1400, i * 1400 + 1400));
  }
  // A failed write stops the rest: only what was written counts.
  let n = 0;
  assert.equal(t.segmentUso(info, b, V, u.length, scratch, V, () => n++ === 0), 1400);
  assert.equal(t.counters.txUsoSoftwareFrames, 1);
});

test('USO refusals: switched off (FAILURE), MSS above the MTU (INVALID_LENGTH), malformed / headers split (INVALID_PACKET), too few segments', () => {
  const u = uso4(new Uint8Array(3000));
  const info = usoTransmit({ mss: 1400, udpHeaderOffset: 34, ipVersion: 0 });
  const off = engine(applyOffloadParameters(HW, HW, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, udpSegmentationIPv4: NDIS_OFFLOAD_PARAMETERS_USO_DISABLED }));
  assert.equal(off.transmit(nbl(0, info), withHeader(u), 0, V, u.length), NDIS_STATUS_FAILURE);
  const t = engine();
  assert.equal(t.transmit(nbl(0, usoTransmit({ mss: 1473, udpHeaderOffset: 34, ipVersion: 0 })), withHeader(u), 0, V, u.length), NDIS_STATUS_INVALID_LENGTH);
  assert.equal(t.transmit(nbl(0, usoTransmit({ mss: 1400, udpHeaderOffset: 34, ipVersion: 1 })), withHeader(u), 0, V, u.length), NDIS_STATUS_INVALID_PACKET);
  assert.equal(t.transmit(nbl(0, info), withHeader(u), 0, V, u.length, 38), NDIS_STATUS_INVALID_PACKET);
  const small = uso4(new Uint8Array(1000));
  assert.equal(t.transmit(nbl(0, info), withHeader(small), 0, V, small.length), NDIS_STATUS_INVALID_PACKET, 'one datagram < MinSegmentCount 2');
  assert.deepEqual([t.counters.txUsoRefused, t.counters.txLargeSendBadMss, t.counters.txLargeSendHeadersSplit, t.counters.txOffloadRefused], [4, 1, 1, 4]);
  assert.deepEqual([off.counters.txUsoRefused, off.counters.txOffloadRefused], [1, 1]);
});
