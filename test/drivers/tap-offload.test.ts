/**
 * The TAP miniport's offload translation without a kernel: NDIS info → virtio-net header (byte-exact
 * headers, the patched and restored fields, what the kernel would then compute), virtio-net header →
 * NDIS info (checksum bits per protocol, software completion, RSC counts, drops), the TUNSETOFFLOAD
 * bits, the standardized keyword mapping, and hostile input (never throws).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { offloadFromKeywords } from '../../src/drivers/common/task-offload.js';
import { FrameLayout, TapOffload, locateHeaders } from '../../src/drivers/miniport/tap/offload.js';
import { tapHardwareOffload } from '../../src/drivers/miniport/tap/offload-caps.js';
import { Configuration } from '../../src/core/runtime/configuration.js';
import { TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN } from '../../src/io/tun/tap-device.js';
import { BufferAllocator } from '../../src/ndis/buffers/allocator.js';
import { NetBufferListPool } from '../../src/ndis/buffers/pools.js';
import {
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED as IP_OK,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED as TCP_OK,
  CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID as TCP_INVALID,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED as UDP_OK,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  checksumTx,
  lsoV1Transmit,
  lsoV2Transmit,
  rscCoalescedSegCount,
  type NetBufferList,
} from '../../src/ndis/index.js';
import { applyOffloadParameters } from '../../src/ndis/offload-config.js';
import { NDIS_OFFLOAD_NONE, NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED, NDIS_OFFLOAD_PARAMETERS_NO_CHANGES } from '../../src/ndis/offload.js';
import { checksum, ethernet, ip4, ipv4, mac, udp } from '../support/frames.js';
import { L4_OFFSET, TCP_ACK, TCP_PSH, checksumOffloadForm, checksumsValid, lsoV2Form, tcp4Frame } from '../support/offload-frames.js';

const HW = tapHardwareOffload(true);
const V = 10; // virtio-net header bytes in front of every frame here
const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const SRC = ip4('198.18.0.2');
const DST = ip4('198.18.0.1');

const pool = new NetBufferListPool({ capacity: 4, allocateNetBuffer: false }, new BufferAllocator());
const nbls = [pool.allocate()!, pool.allocate()!, pool.allocate()!, pool.allocate()!];
let turn = 0;
/** One of four NBLs, in turn, with clean info and the given send offload info. */
function nbl(tcpIpChecksum = 0, tcpLargeSend = 0): NetBufferList {
  const n = nbls[turn++ % nbls.length]!;
  n.info.clear();
  n.info.tcpIpChecksum = tcpIpChecksum;
  n.info.tcpLargeSend = tcpLargeSend;
  return n;
}

function engine(config = HW, v4 = true, v6 = true): TapOffload {
  const t = new TapOffload();
  t.configure(config, v4, v6);
  return t;
}

/** `frame` behind a V-byte header area. */
function withHeader(frame: Uint8Array, header: readonly number[] = []): Uint8Array {
  const b = new Uint8Array(V + frame.length);
  b.set(header);
  b.set(frame, V);
  return b;
}

const hdr = (b: Uint8Array): string => Buffer.from(b.subarray(0, V)).toString('hex');
const le16 = (v: number): string => Buffer.from([v & 0xff, v >> 8]).toString('hex');

/** What the kernel does with NEEDS_CSUM: sum from csum_start to the end, store at csum_start + csum_offset. */
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

function tcpFrame(payload: Uint8Array, flags = TCP_ACK): Uint8Array {
  return tcp4Frame({ srcMac: A, dstMac: B, src: SRC, dst: DST, sport: 1234, dport: 80, seq: 1000, ack: 2000, flags, payload, id: 0x7ffe });
}

function udpFrame(payload: Uint8Array): Uint8Array {
  return ethernet(B, A, 0x0800, ipv4(SRC, DST, 17, udp(SRC, DST, 5000, 53, payload), 0x42));
}

/** A TCP/IPv6 frame (no extension headers unless `hopByHop`), checksum correct. */
function tcp6Frame(payload: Uint8Array, hopByHop = false): Uint8Array {
  const tcp = new Uint8Array(20 + payload.length);
  tcp.set([0x04, 0xd2, 0, 80, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0, 0x50, TCP_ACK, 0xff, 0xff]);
  tcp.set(payload, 20);
  const ext = hopByHop ? Uint8Array.of(6, 0, 1, 4, 0, 0, 0, 0) : new Uint8Array(0);
  const ip = new Uint8Array(40 + ext.length + tcp.length);
  ip[0] = 0x60;
  const plen = ext.length + tcp.length;
  ip[4] = plen >> 8;
  ip[5] = plen & 0xff;
  ip[6] = hopByHop ? 0 : 6;
  ip[7] = 64;
  ip.fill(0x11, 8, 24);
  ip.fill(0x22, 24, 40);
  ip.set(ext, 40);
  ip.set(tcp, 40 + ext.length);
  const pseudo = new Uint8Array(40 + tcp.length);
  pseudo.set(ip.subarray(8, 40), 0);
  pseudo.set([0, 0, tcp.length >> 8, tcp.length & 0xff, 0, 0, 0, 6], 32);
  pseudo.set(tcp, 40);
  const c = checksum(pseudo);
  ip[40 + ext.length + 16] = c >> 8;
  ip[40 + ext.length + 17] = c & 0xff;
  return ethernet(B, A, 0x86dd, ip);
}

test('locateHeaders: IPv4 (options too), one VLAN tag, IPv6 behind extension headers; not IP, truncated, later fragments', () => {
  const L = new FrameLayout();
  assert.ok(locateHeaders(tcpFrame(new Uint8Array(5)), 0, 59, L));
  assert.deepEqual({ ...L }, { ipVersion: 4, ipOffset: 14, ipHeaderLength: 20, l4Protocol: 6, l4Offset: 34 });
  const opts = udpFrame(new Uint8Array(4));
  const withOptions = new Uint8Array(opts.length + 4);
  withOptions.set(opts.subarray(0, 34));
  withOptions[14] = 0x46;
  withOptions.set(opts.subarray(34), 38);
  assert.ok(locateHeaders(withOptions, 0, withOptions.length, L));
  assert.deepEqual([L.ipHeaderLength, L.l4Protocol, L.l4Offset], [24, 17, 38]);
  const f = tcpFrame(new Uint8Array(0));
  const tagged = new Uint8Array(f.length + 4);
  tagged.set(f.subarray(0, 12));
  tagged.set([0x81, 0x00, 0x00, 0x05], 12);
  tagged.set(f.subarray(12), 16);
  assert.ok(locateHeaders(tagged, 0, tagged.length, L));
  assert.deepEqual([L.ipOffset, L.l4Offset], [18, 38]);
  const v6 = tcp6Frame(new Uint8Array(3), true);
  assert.ok(locateHeaders(v6, 0, v6.length, L));
  assert.deepEqual([L.ipVersion, L.l4Protocol, L.l4Offset], [6, 6, 62]);
  const arp = ethernet(B, A, 0x0806, new Uint8Array(28));
  assert.equal(locateHeaders(arp, 0, arp.length, L), false);
  assert.equal(locateHeaders(f, 0, 30, L), false, 'truncated IPv4 header');
  const frag = f.slice();
  frag[20] = 0x00;
  frag[21] = 0x10; // fragment offset 16 × 8
  assert.ok(locateHeaders(frag, 0, frag.length, L));
  assert.equal(L.l4Protocol, -1, 'a later fragment has no transport header');
});

test('transmit, UDP + IPv4 header checksum: NEEDS_CSUM at the UDP header, IPv4 checksum computed, restored afterwards', () => {
  const full = udpFrame(Uint8Array.from({ length: 33 }, (_, i) => i));
  const off = checksumOffloadForm(full, true);
  const b = withHeader(off, [0xee, 0xee, 0xee]);
  const t = engine();
  assert.equal(t.transmit(nbl(checksumTx({ isIPv4: true, udpChecksum: true, ipHeaderChecksum: true })), b, 0, V, off.length), NDIS_STATUS_SUCCESS);
  // flags NEEDS_CSUM, gso NONE, hdr_len 0, gso_size 0, csum_start 34, csum_offset 6
  assert.equal(hdr(b), '01' + '00' + '0000' + '0000' + le16(34) + le16(6));
  assert.deepEqual(kernelFinish(b), full, 'what the kernel sends is the complete frame');
  t.restore(b);
  assert.deepEqual(b.subarray(V), off, 'the protocol gets its bytes back');
  assert.equal(t.counters.txChecksumOffloaded, 1);
});

test('transmit, TCP checksum: csum_start from TcpHeaderOffset; no IsIPv4/IsIPv6 means no work', () => {
  const full = tcpFrame(Uint8Array.from({ length: 101 }, (_, i) => 255 - i));
  const off = checksumOffloadForm(full, false);
  const b = withHeader(off);
  const t = engine();
  assert.equal(t.transmit(nbl(checksumTx({ isIPv4: true, tcpChecksum: true, tcpHeaderOffset: L4_OFFSET })), b, 0, V, off.length), NDIS_STATUS_SUCCESS);
  assert.equal(hdr(b), '01000000' + '0000' + le16(34) + le16(16));
  assert.deepEqual(kernelFinish(b), full);
  const plain = withHeader(full, [9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
  assert.equal(t.transmit(nbl(checksumTx({ tcpChecksum: true })), plain, 0, V, full.length), NDIS_STATUS_SUCCESS);
  assert.equal(hdr(plain), '00'.repeat(10), 'an all-zero header');
});

test('transmit, LSOv2 over IPv4: GSO header, total length and header checksum filled in, the seed gets the length, all restored', () => {
  const payload = Uint8Array.from({ length: 4000 }, (_, i) => (i * 13) & 0xff);
  const full = tcpFrame(payload, TCP_ACK | TCP_PSH);
  const lso = lsoV2Form(full);
  const b = withHeader(lso);
  const t = engine();
  const info = lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
  assert.equal(t.transmit(nbl(0, info), b, 0, V, lso.length), NDIS_STATUS_SUCCESS);
  // NEEDS_CSUM, GSO_TCPV4, hdr_len 54, gso_size 1460, csum_start 34, csum_offset 16
  assert.equal(hdr(b), '01' + '01' + le16(54) + le16(1460) + le16(34) + le16(16));
  // What the kernel gets is the complete large frame (as Linux would have built it before segmenting):
  // real total length, valid header checksum, and a seed that includes the TCP length.
  const expected = checksumOffloadForm(full, false);
  assert.deepEqual(b.subarray(V), expected);
  assert.ok(checksumsValid(kernelFinish(b)), 'finished like the kernel does, every checksum is right');
  t.restore(b);
  assert.deepEqual(b.subarray(V), lso);
  assert.deepEqual([t.counters.txLsoFrames, t.counters.txLsoSegments, t.counters.txLsoPayloadBytes], [1, 3, 4000]);
  // CWR set: the kernel is told ECN (VIRTIO_NET_HDR_GSO_ECN); a payload within one MSS needs no GSO.
  const cwr = lsoV2Form(tcpFrame(payload, TCP_ACK | 0x80));
  const b2 = withHeader(cwr);
  assert.equal(t.transmit(nbl(0, info), b2, 0, V, cwr.length), NDIS_STATUS_SUCCESS);
  assert.equal(b2[1], 0x81);
  const small = lsoV2Form(tcpFrame(payload.subarray(0, 1000)));
  const b3 = withHeader(small);
  assert.equal(t.transmit(nbl(0, info), b3, 0, V, small.length), NDIS_STATUS_SUCCESS);
  assert.equal(hdr(b3), '01' + '00' + le16(54) + '0000' + le16(34) + le16(16));
});

test('transmit, LSOv2 over IPv6: payload length filled in, GSO_TCPV6', () => {
  const full = tcp6Frame(new Uint8Array(3000).fill(7));
  const lso = full.slice();
  lso[18] = 0;
  lso[19] = 0; // payload length 0
  const b = withHeader(lso);
  const t = engine();
  assert.equal(t.transmit(nbl(0, lsoV2Transmit({ mss: 1440, tcpHeaderOffset: 54, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 })), b, 0, V, lso.length), NDIS_STATUS_SUCCESS);
  assert.equal(hdr(b), '01' + '04' + le16(74) + le16(1440) + le16(54) + le16(16));
  assert.equal((b[V + 18]! << 8) | b[V + 19]!, 3020);
  t.restore(b);
  assert.deepEqual(b.subarray(V), lso);
});

test('transmit refuses what it cannot do: LSO switched off, LSOv1 without its total length, a TcpHeaderOffset that is not the TCP header', () => {
  const lso = lsoV2Form(tcpFrame(new Uint8Array(3000)));
  const info = lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
  const off = engine(applyOffloadParameters(HW, HW, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED }));
  const b = withHeader(lso);
  assert.equal(off.transmit(nbl(0, info), b, 0, V, lso.length), NDIS_STATUS_FAILURE);
  assert.deepEqual(b.subarray(V), lso, 'untouched');
  const t = engine();
  // LSOv1 is offered now, but its IP total length is the protocol's: the LSOv2 form (0) is refused.
  assert.equal(t.transmit(nbl(0, lsoV1Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET })), withHeader(lso), 0, V, lso.length), NDIS_STATUS_INVALID_PACKET);
  assert.equal(t.transmit(nbl(0, lsoV2Transmit({ mss: 1460, tcpHeaderOffset: 30, ipVersion: 0 })), withHeader(lso), 0, V, lso.length), NDIS_STATUS_INVALID_PACKET);
  assert.equal(t.transmit(nbl(0, lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 })), withHeader(lso), 0, V, lso.length), NDIS_STATUS_INVALID_PACKET);
  const arp = ethernet(B, A, 0x0806, new Uint8Array(28));
  assert.equal(t.transmit(nbl(checksumTx({ isIPv4: true, udpChecksum: true })), withHeader(arp), 0, V, arp.length), NDIS_STATUS_INVALID_PACKET);
  assert.equal(t.counters.txOffloadRefused, 4);
  assert.equal(off.counters.txOffloadRefused, 1);
});

test('receive: NEEDS_CSUM TCP is succeeded with the value marked invalid; UDP and disabled protocols are finished in software', () => {
  const t = engine();
  const full = tcpFrame(new Uint8Array(77).fill(3));
  const partial = checksumOffloadForm(full, false);
  const needs = [1, 0, 0, 0, 0, 0, 34, 0, 16, 0];
  let n = nbl();
  assert.ok(t.receive(n, withHeader(partial, needs), 0, V, partial.length));
  assert.equal(n.info.tcpIpChecksum, TCP_OK | TCP_INVALID | IP_OK);
  // UDP: NDIS has no "value invalid" for UDP, so the checksum is finished before the indication.
  const u = udpFrame(new Uint8Array(21).fill(9));
  const ub = withHeader(checksumOffloadForm(u, false), [1, 0, 0, 0, 0, 0, 34, 0, 6, 0]);
  n = nbl();
  assert.ok(t.receive(n, ub, 0, V, u.length));
  assert.equal(n.info.tcpIpChecksum, UDP_OK | IP_OK);
  assert.deepEqual(ub.subarray(V), u);
  // TCP receive checksum switched off (Tx only): no bits, and the frame carries a real checksum.
  const txOnly = offloadFromKeywords(new Configuration({ '*TCPChecksumOffloadIPv4': 1, '*IPChecksumOffloadIPv4': 1 }), HW);
  const t2 = engine(txOnly);
  const tb = withHeader(partial, needs);
  n = nbl();
  assert.ok(t2.receive(n, tb, 0, V, partial.length));
  assert.equal(n.info.tcpIpChecksum, 0);
  assert.deepEqual(tb.subarray(V), full);
  assert.equal(t2.counters.rxChecksumCompleted, 1);
  // csum_start/offset past the frame: dropped.
  assert.equal(t.receive(nbl(), withHeader(partial, [1, 0, 0, 0, 0, 0, 0xff, 0xff, 16, 0]), 0, V, partial.length), false);
});

test('receive: DATA_VALID gives succeeded bits for the right protocol and IP version, only for enabled offloads', () => {
  const t = engine();
  const dv = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const cases: [Uint8Array, number][] = [
    [tcpFrame(new Uint8Array(10)), TCP_OK | IP_OK],
    [udpFrame(new Uint8Array(10)), UDP_OK | IP_OK],
    [tcp6Frame(new Uint8Array(10)), TCP_OK],
    [tcp6Frame(new Uint8Array(10), true), TCP_OK],
    [ethernet(B, A, 0x0806, new Uint8Array(28)), 0],
  ];
  for (const [f, want] of cases) {
    const n = nbl();
    assert.ok(t.receive(n, withHeader(f, dv), 0, V, f.length));
    assert.equal(n.info.tcpIpChecksum, want);
  }
  // Before OID_OFFLOAD_ENCAPSULATION enabled a family, nothing is reported for it.
  const v6only = engine(HW, false, true);
  const n = nbl();
  assert.ok(v6only.receive(n, withHeader(cases[0]![0], dv), 0, V, cases[0]![0].length));
  assert.equal(n.info.tcpIpChecksum, 0);
});

test('receive: a GSO super-frame is one RSC unit with ceil(payload / gso_size) segments; dropped when RSC is off', () => {
  const t = engine();
  const big = checksumOffloadForm(tcpFrame(new Uint8Array(14480 + 100)), false);
  const gso = [1, 1, 54, 0, 0xa8, 0x05, 34, 0, 16, 0]; // NEEDS_CSUM, TCPV4, hdr_len 54, gso_size 1448
  const n = nbl();
  assert.ok(t.receive(n, withHeader(big, gso), 0, V, big.length));
  assert.equal(rscCoalescedSegCount(n.info.tcpRecvSegCoalesceInfo), Math.ceil(14580 / 1448));
  assert.equal(n.info.tcpIpChecksum, TCP_OK | TCP_INVALID | IP_OK);
  assert.deepEqual([t.counters.rxCoalescedFrames, t.counters.rxCoalescedSegments, t.counters.rxCoalescedBytes], [1, 11, 14580]);
  const noRsc = engine(offloadFromKeywords(new Configuration({ '*RscIPv4': 0 }), HW));
  assert.equal(noRsc.receive(nbl(), withHeader(big, gso), 0, V, big.length), false);
  assert.equal(t.receive(nbl(), withHeader(big, [1, 1, 54, 0, 0, 0, 34, 0, 16, 0]), 0, V, big.length), false, 'gso_size 0');
  assert.equal(t.receive(nbl(), withHeader(big, [1, 4, 54, 0, 0xa8, 5, 34, 0, 16, 0]), 0, V, big.length), false, 'TCPV6 on an IPv4 frame');
  assert.equal(t.receive(nbl(), withHeader(big, [1, 3, 54, 0, 0xa8, 5, 34, 0, 16, 0]), 0, V, big.length), false, 'UFO');
  assert.equal(t.counters.rxOffloadDropped, 3);
  assert.equal(noRsc.counters.rxOffloadDropped, 1);
});

test('TUNSETOFFLOAD bits follow the receive offloads and the encapsulation', () => {
  assert.equal(engine().tunFlags, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
  assert.equal(engine(HW, true, false).tunFlags, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN);
  assert.equal(engine(HW, false, false).tunFlags, 0, 'no encapsulation set yet');
  assert.equal(engine(tapHardwareOffload(false)).tunFlags, TUN_F_CSUM);
  assert.equal(engine(NDIS_OFFLOAD_NONE).tunFlags, 0);
});

test('standardized keywords: checksum v → parameter v + 1, on/off keywords, defaults everything on', () => {
  assert.deepEqual(offloadFromKeywords(new Configuration({}), HW), HW);
  const o = offloadFromKeywords(new Configuration({ '*TCPChecksumOffloadIPv4': 1, '*UDPChecksumOffloadIPv6': 2, '*LsoV2IPv6': 0, '*RscIPv4': 0 }), HW);
  assert.deepEqual([o.checksum.ipv4Transmit.tcpChecksum, o.checksum.ipv4Receive.tcpChecksum], [true, false]);
  assert.deepEqual([o.checksum.ipv6Transmit.udpChecksum, o.checksum.ipv6Receive.udpChecksum], [false, true]);
  assert.equal(o.lsoV2.ipv6.encapsulation, 0);
  assert.equal(o.lsoV2.ipv4.maxOffLoadSize, 64000);
  assert.deepEqual(o.rsc, { ipv4Enabled: false, ipv6Enabled: true });
  assert.deepEqual(offloadFromKeywords(new Configuration({ '*RscIPv6': 7 }), HW).rsc.ipv6Enabled, true, 'out of range reads as the default');
});

test('hostile frames and headers never throw, never write outside the frame and its header', () => {
  const t = engine();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: V, maxLength: 200 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (bytes, cs, lso) => {
      const len = bytes.length - V;
      const buf = new Uint8Array(bytes.length + 8).fill(0xa5);
      buf.set(bytes, 4);
      const before = buf.slice();
      t.receive(nbl(), buf, 4, 4 + V, len);
      const status = t.transmit(nbl(cs, lso), buf, 4, 4 + V, len);
      t.restore(buf);
      assert.deepEqual(buf.subarray(0, 4), before.subarray(0, 4));
      assert.deepEqual(buf.subarray(buf.length - 4), before.subarray(before.length - 4));
      assert.equal(typeof status, 'number');
    }),
    { numRuns: 2000 },
  );
});
