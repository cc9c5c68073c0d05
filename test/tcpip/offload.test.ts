/**
 * Task offloads (ndis-offloads §2): a lab adapter advertises an NDIS_OFFLOAD (in its offload attributes,
 * which reach the protocol in the bind parameters, and later through
 * NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG), and the tests check the NBL info and
 * the header fields the stack leaves for the adapter: checksum info with the pseudo-header sum (§2.2),
 * LSOv2 info with zero IP length and the pseudo sum without length (§2.3/2.4), receive verdicts trusted
 * or failed, and RSC coalesced counts passed to TCP for frames larger than the MTU.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHECKSUM_RX_IP_CHECKSUM_FAILED,
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_FAILED,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_NONE,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  readChecksumTx,
  readLsoV2Transmit,
  lsoType,
  rscInfo,
  type NdisOffload,
} from '../../src/ndis/index.js';
import { IpProtocol, TcpFlags, foldChecksum, ipv4PseudoHeaderSum, ipv6, ipv6PseudoHeaderSum } from '../../src/wire/index.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';
import { FakeTcp, flow4, flow6, sendSegment, tcpFrame } from './packets.js';

const LAB_MAC = '02:00:00:00:1a:01';
const PEER_MAC = '02:00:00:00:0a:01';

interface OffloadSpec {
  csum?: boolean;
  tcpOptions?: boolean;
  lso?: number;
  lsoMinSegments?: number;
  rsc?: boolean;
}

function offload(o: OffloadSpec): NdisOffload {
  const dir = (ip: boolean) => ({ encapsulation: o.csum === true ? NDIS_ENCAPSULATION_IEEE_802_3 : 0, ipOptionsSupported: true, tcpOptionsSupported: o.tcpOptions ?? true, tcpChecksum: o.csum === true, udpChecksum: o.csum === true, ipChecksum: ip && o.csum === true });
  const lso = (n: number) => ({ encapsulation: n > 0 ? NDIS_ENCAPSULATION_IEEE_802_3 : 0, maxOffLoadSize: n, minSegmentCount: o.lsoMinSegments ?? 2 });
  return {
    ...NDIS_OFFLOAD_NONE,
    checksum: { ipv4Transmit: dir(true), ipv4Receive: dir(true), ipv6Transmit: dir(false), ipv6Receive: dir(false) },
    lsoV2: { ipv4: lso(o.lso ?? 0), ipv6: { ...lso(o.lso ?? 0), ipExtensionHeadersSupported: true, tcpOptionsSupported: true } },
    rsc: { ipv4Enabled: o.rsc === true, ipv6Enabled: o.rsc === true },
  };
}

async function host(spec: OffloadSpec | null): Promise<LabHost> {
  const h = await labHost(
    { IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false, Neighbors: ['198.18.0.1 02-00-00-00-0a-01', 'fd00::1 02-00-00-00-0a-01'] },
    { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1), backfill: 10, ...(spec === null ? {} : { offload: offload(spec) }) },
  );
  h.lab.take();
  return h;
}

const field = (f: Uint8Array, at: number): number => (f[at]! << 8) | f[at + 1]!;

test('offload: transmit checksum offload sets the NBL info and leaves the pseudo-header sum in the field', async () => {
  const h = await host({ csum: true });
  assert.equal(h.ip.interface('eth0').offload.describe(), 'csum4(tcp,udp,ip) csum6(tcp,udp)');
  const host4 = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  sendSegment(h.ip.stack.tcpHost, host4, { seq: 1, flags: TcpFlags.Ack, payload: new Uint8Array(100) });
  sendSegment(h.ip.stack.tcpHost, flow6('fd00::2', 80, 'fd00::1', 40000), { seq: 1, flags: TcpFlags.Ack, payload: new Uint8Array(10) });
  const u = h.ip.stack.udp.open(4);
  u.send(new Uint8Array(5), '198.18.0.1', 53);
  u.close();
  const [t4, t6, u4] = h.lab.take();
  assert.deepEqual(readChecksumTx(t4!.checksumInfo), { isIPv4: true, isIPv6: false, tcpChecksum: true, udpChecksum: false, ipHeaderChecksum: true, tcpHeaderOffset: 34 });
  assert.equal(field(t4!.frame, 24), 0, 'IPv4 header checksum left to the adapter');
  assert.equal(field(t4!.frame, 50), foldChecksum(ipv4PseudoHeaderSum(0xc6120002, 0xc6120001, IpProtocol.Tcp, 120)), 'TCP: pseudo-header sum with length');
  assert.deepEqual(readChecksumTx(t6!.checksumInfo), { isIPv4: false, isIPv6: true, tcpChecksum: true, udpChecksum: false, ipHeaderChecksum: false, tcpHeaderOffset: 54 });
  assert.equal(field(t6!.frame, 70), foldChecksum(ipv6PseudoHeaderSum(ipv6('fd00::2'), ipv6('fd00::1'), IpProtocol.Tcp, 30)));
  assert.deepEqual(readChecksumTx(u4!.checksumInfo), { isIPv4: true, isIPv6: false, tcpChecksum: false, udpChecksum: true, ipHeaderChecksum: true, tcpHeaderOffset: 0 });
  assert.equal(field(u4!.frame, 40), foldChecksum(ipv4PseudoHeaderSum(0xc6120002, 0xc6120001, IpProtocol.Udp, 13)));
  // The adapter's backfill stays free in front of every frame.
  for (const s of [t4!, t6!, u4!]) assert.ok(s.dataOffset >= 10);
  await finishLab(h);
});

test('offload: no offload (or TCP options the adapter cannot handle) means software checksums and no info', async () => {
  const h = await host({ csum: true, tcpOptions: false });
  const f = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  const b = h.ip.stack.tcpHost.allocate(f, 24)!;
  b.bytes.fill(0, b.offset, b.offset + 24);
  b.bytes[b.offset + 12] = 6 << 4; // a 24-byte header: options present
  b.bytes[b.offset + 20] = 1; // NOP
  h.ip.stack.tcpHost.transmit(f, b, 24, 24, 0);
  const [s] = h.lab.take();
  assert.deepEqual(readChecksumTx(s!.checksumInfo), { isIPv4: true, isIPv6: false, tcpChecksum: false, udpChecksum: false, ipHeaderChecksum: true, tcpHeaderOffset: 0 });
  await finishLab(h);
  const none = await host(null);
  assert.equal(none.ip.interface('eth0').offload.describe(), 'none');
  sendSegment(none.ip.stack.tcpHost, f, { seq: 1, flags: TcpFlags.Ack });
  const [n] = none.lab.take();
  assert.equal(n!.checksumInfo, 0);
  assert.notEqual(field(n!.frame, 24), 0, 'IPv4 header checksum computed');
  assert.equal(none.ip.binding('eth0').lsoPool, null, 'no LSO pool without LSO');
  await finishLab(none);
});

test('offload: LSOv2 — one large NBL with MSS and header offset, IP length 0, pseudo sum without length', async () => {
  const h = await host({ lso: 65535 });
  const f4 = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  const route = h.ip.stack.tcpHost.route(f4)!;
  // What fits in an LSO buffer after the largest TCP header, within the adapter's MaxOffLoadSize.
  assert.equal(route.lsoMaxPayload, Math.min(65535, h.ip.binding('eth0').largeTransportCapacity - 60));
  assert.ok(route.lsoMaxPayload > 65000);
  assert.equal(route.lsoMinSegments, 2);
  const payload = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
  assert.ok(sendSegment(h.ip.stack.tcpHost, f4, { seq: 77, flags: TcpFlags.Ack | TcpFlags.Psh, payload, mss: 1448 }));
  assert.ok(sendSegment(h.ip.stack.tcpHost, flow6('fd00::2', 80, 'fd00::1', 40000), { seq: 1, flags: TcpFlags.Ack, payload, mss: 1428 }));
  const [l4, l6] = h.lab.take();
  assert.equal(l4!.frame.length, 14 + 20 + 20 + 10_000);
  assert.equal(lsoType(l4!.lsoInfo), 1);
  assert.deepEqual(readLsoV2Transmit(l4!.lsoInfo), { mss: 1448, tcpHeaderOffset: 34, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
  assert.equal(field(l4!.frame, 16), 0, 'IPv4 total length 0');
  assert.equal(field(l4!.frame, 50), foldChecksum(ipv4PseudoHeaderSum(0xc6120002, 0xc6120001, IpProtocol.Tcp, 0)));
  assert.equal((l4!.frame[20]! & 0x20) | l4!.frame[21]!, 0, 'MF clear, offset 0');
  assert.deepEqual(readLsoV2Transmit(l6!.lsoInfo), { mss: 1428, tcpHeaderOffset: 54, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 });
  assert.equal(field(l6!.frame, 18), 0, 'IPv6 payload length 0');
  assert.equal(h.ip.stack.counters.tcp.lsoSends, 2);
  // Exactly MinSegmentCount segments: still one LSO send.
  sendSegment(h.ip.stack.tcpHost, f4, { seq: 1, flags: TcpFlags.Ack, payload: new Uint8Array(1500), mss: 1448 });
  const small = h.lab.take();
  assert.equal(small.length, 1);
  assert.equal(readLsoV2Transmit(small[0]!.lsoInfo).mss, 1448);
  await finishLab(h);
});

test('offload: MinSegmentCount larger than the segments a send needs falls back to software segmentation', async () => {
  const h = await host({ lso: 65535, lsoMinSegments: 4 });
  const f4 = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  sendSegment(h.ip.stack.tcpHost, f4, { seq: 1, flags: TcpFlags.Ack, payload: new Uint8Array(3000), mss: 1448 });
  const out = h.lab.take();
  assert.equal(out.length, 3);
  assert.ok(out.every((s) => s.lsoInfo === 0));
  assert.equal(h.ip.stack.counters.tcp.softwareSegments, 3);
  await finishLab(h);
});

test('offload: receive verdicts — "succeeded" skips verification, "failed" drops and counts', async () => {
  const h = await host({ csum: true });
  const tcp = new FakeTcp();
  h.ip.stack.attachTcp(tcp);
  const seg = tcpFrame({ family: 4, srcMac: PEER_MAC, dstMac: LAB_MAC, src: '198.18.0.1', dst: '198.18.0.2', srcPort: 40000, dstPort: 80, seq: 1, flags: TcpFlags.Syn });
  const broken = seg.slice();
  broken[24]! ^= 0x55; // IP header checksum wrong
  broken[50]! ^= 0x55; // TCP checksum wrong
  h.lab.inject([broken], { checksum: CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED });
  h.lab.inject([seg], { checksum: CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_FAILED });
  h.lab.inject([seg], { checksum: CHECKSUM_RX_IP_CHECKSUM_FAILED });
  h.lab.inject([broken]);
  await labPump(h, 0);
  assert.equal(tcp.segments.length, 1, 'only the one the adapter vouched for');
  assert.equal(h.ip.stack.counters.tcp.hwChecksumFailed, 1);
  assert.equal(h.ip.stack.counters.ipv4.inHwChecksumFailed, 1);
  assert.equal(h.ip.stack.counters.ipv4.inBadChecksum, 1);
  const u = h.ip.stack.udp.open(4).bind(53);
  const udp = Uint8Array.from(Buffer.from('020000001a01020000000a0108004500001e000040004011aea7c6120001c612000204570035000a12346869', 'hex'));
  h.lab.inject([udp], { checksum: CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED });
  await labPump(h, 0);
  assert.equal(u.queued, 1, 'UDP with a wrong checksum the adapter vouched for');
  u.close();
  await finishLab(h);
});

test('offload: RSC — a coalesced segment larger than the MTU reaches TCP with its segment count', async () => {
  const h = await host({ rsc: true });
  const tcp = new FakeTcp();
  h.ip.stack.attachTcp(tcp);
  const payload = Uint8Array.from({ length: 4344 }, (_, i) => (i * 3) & 0xff);
  const scu = tcpFrame({ family: 4, srcMac: PEER_MAC, dstMac: LAB_MAC, src: '198.18.0.1', dst: '198.18.0.2', srcPort: 40000, dstPort: 80, seq: 1000, ack: 5, flags: TcpFlags.Ack, payload });
  h.lab.inject([scu], { checksum: CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED, rsc: rscInfo({ coalescedSegCount: 3, dupAckCount: 0 }) });
  await labPump(h, 0);
  assert.equal(tcp.segments.length, 1);
  assert.equal(tcp.segments[0]!.segments, 3);
  assert.deepEqual(tcp.segments[0]!.bytes.subarray(20), payload);
  await finishLab(h);
});

test('offload: NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG switches offloads at run time (route generation bumps, LSO pool appears)', async () => {
  const h = await host(null);
  const f4 = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  const r1 = h.ip.stack.tcpHost.route(f4)!;
  const gen = r1.generation;
  assert.equal(r1.lsoMaxPayload, 0);
  h.lab.indicateOffload(offload({ csum: true, lso: 32768 }));
  assert.ok(r1.generation > gen);
  const r2 = h.ip.stack.tcpHost.route(f4)!;
  assert.equal(r2.lsoMaxPayload, 32768);
  assert.notEqual(h.ip.binding('eth0').lsoPool, null);
  sendSegment(h.ip.stack.tcpHost, f4, { seq: 1, flags: TcpFlags.Ack, payload: new Uint8Array(5000), mss: 1000 });
  const [s] = h.lab.take();
  assert.equal(readLsoV2Transmit(s!.lsoInfo).mss, 1000);
  h.lab.indicateOffload(NDIS_OFFLOAD_NONE);
  assert.equal(h.ip.stack.tcpHost.route(f4)!.lsoMaxPayload, 0);
  await finishLab(h);
});
