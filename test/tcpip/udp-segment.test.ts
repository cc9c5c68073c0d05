/**
 * UdpSocket.segmentSize (Linux's UDP_SEGMENT) in tsndis.tcpip against a lab adapter: with USO offered
 * a large send is one NBL with UdpSegmentationOffloadInfo, the IP header a template (length 0), the UDP
 * checksum field the pseudo-header sum without the length, and cut by the software engine it gives
 * exactly the datagrams the train would; without USO (or a send USO cannot take: uneven without
 * SubMssFinalSegmentSupported, fewer than MinSegmentCount) the stack sends the train itself; EINVAL
 * for a segment that does not fit the MTU or more than 64 datagrams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsoSegmenter } from '../../src/drivers/common/uso-segment.js';
import { SocketError } from '../../src/drivers/protocol/tcpip/index.js';
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_NONE,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  readUsoTransmit,
  type NdisOffload,
} from '../../src/ndis/index.js';
import { IpProtocol, foldChecksum, ipv4PseudoHeaderSum, ipv6, ipv6PseudoHeaderSum } from '../../src/wire/index.js';
import { checksum } from '../support/frames.js';
import { finishLab, labHost, type LabHost } from './lab.js';

function withUso(minSegmentCount: number, subMss: boolean): NdisOffload {
  const f = { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: 64000, minSegmentCount, subMssFinalSegmentSupported: subMss };
  return { ...NDIS_OFFLOAD_NONE, uso: { ipv4: f, ipv6: { ...f, ipExtensionHeadersSupported: true } } };
}

async function host(offload: NdisOffload | null): Promise<LabHost> {
  const h = await labHost(
    { IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false, Neighbors: ['198.18.0.1 02-00-00-00-0a-01', 'fd00::1 02-00-00-00-0a-01'] },
    { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1), backfill: 10, ...(offload === null ? {} : { offload }) },
  );
  h.lab.take();
  return h;
}

const field = (f: Uint8Array, at: number): number => (f[at]! << 8) | f[at + 1]!;
const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

/** A complete UDP/IPv4 datagram's payload, after checking its lengths and checksums. */
function udp4Payload(f: Uint8Array): Uint8Array {
  assert.equal(field(f, 16), f.length - 14);
  assert.equal(checksum(f, 14, 34), 0);
  assert.equal(field(f, 38), f.length - 34);
  const len = f.length - 34;
  assert.equal(checksum(f, 34, f.length, 0xc612 + 0x0002 + 0xc612 + 0x0001 + 17 + len), 0);
  return f.subarray(42);
}

test('USO offered: one NBL with UdpSegmentationOffloadInfo, a template IP header and the length-less seed; cut, it is the train', async () => {
  const h = await host(withUso(2, true));
  assert.match(h.ip.interface('eth0').offload.describe(), /uso4\(64000\) uso6\(64000\)/);
  const sock = h.ip.stack.udp.open(4);
  sock.segmentSize = 1000;
  assert.equal(sock.send(data, '198.18.0.1', 9000), true);
  const [f] = h.lab.take();
  assert.equal(f!.frame.length, 42 + 5000);
  assert.deepEqual(readUsoTransmit(f!.usoInfo), { mss: 1000, udpHeaderOffset: 34, ipVersion: NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 });
  assert.equal(f!.lsoInfo, 0);
  assert.equal(field(f!.frame, 16), 0, 'IPv4 total length: a template');
  assert.equal(field(f!.frame, 40), foldChecksum(ipv4PseudoHeaderSum(0xc6120002, 0xc6120001, IpProtocol.Udp, 0)), 'the seed has no length');
  // What the adapter makes of it: five complete datagrams carrying the data in order, IDs consecutive.
  const out: Uint8Array[] = [];
  const scratch = new Uint8Array(1600);
  new UsoSegmenter().segment(f!.frame, 0, f!.frame.length, f!.usoInfo, { maxMss: 0, maxOffLoadSize: 0, minSegmentCount: 0 }, (_len, _i, t) => {
    t.bytes = scratch;
    t.offset = 0;
    return true;
  }, (len) => out.push(scratch.slice(0, len)));
  assert.equal(out.length, 5);
  assert.deepEqual(Uint8Array.from(out.flatMap((d) => [...udp4Payload(d)])), data);
  const id0 = field(out[0]!, 18);
  assert.deepEqual(out.map((d) => field(d, 18)), [0, 1, 2, 3, 4].map((i) => (id0 + i) & 0xffff));
  // The stack's next datagram does not reuse those IDs.
  sock.segmentSize = 0;
  sock.send(new Uint8Array(10), '198.18.0.1', 9000);
  assert.equal(field(h.lab.take()[0]!.frame, 18), (id0 + 5) & 0x7fff);
  const c = h.ip.stack.counters.udp;
  assert.deepEqual([c.usoSends, c.usoDatagrams, c.segmentedSends, c.outDatagrams], [1, 5, 0, 6]);
  // IPv6: the same, with the IPv6 seed and UDP header offset 54.
  const s6 = h.ip.stack.udp.open(6);
  s6.segmentSize = 1200;
  s6.send(data, 'fd00::1', 9000);
  const [g] = h.lab.take();
  assert.deepEqual(readUsoTransmit(g!.usoInfo), { mss: 1200, udpHeaderOffset: 54, ipVersion: NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6 });
  assert.equal(field(g!.frame, 60), foldChecksum(ipv6PseudoHeaderSum(ipv6('fd00::2'), ipv6('fd00::1'), IpProtocol.Udp, 0)));
  sock.close();
  s6.close();
  await finishLab(h);
});

test('no USO, or a send USO cannot take: the stack sends the train, each datagram complete', async () => {
  for (const [offload, size, why] of [[null, 5000, 'no USO'], [withUso(2, false), 4500, 'uneven without SubMssFinalSegmentSupported'], [withUso(8, true), 5000, 'fewer than MinSegmentCount']] as const) {
    const h = await host(offload);
    const sock = h.ip.stack.udp.open(4);
    sock.segmentSize = 1000;
    assert.equal(sock.send(data.subarray(0, size), '198.18.0.1', 9000), true);
    const frames = h.lab.take();
    assert.deepEqual(frames.map((f) => f.frame.length - 42), size === 4500 ? [1000, 1000, 1000, 1000, 500] : [1000, 1000, 1000, 1000, 1000], why);
    assert.ok(frames.every((f) => f.usoInfo === 0));
    assert.deepEqual(Uint8Array.from(frames.flatMap((f) => [...udp4Payload(f.frame)])), data.subarray(0, size), why);
    assert.deepEqual([h.ip.stack.counters.udp.segmentedSends, h.ip.stack.counters.udp.usoSends], [1, 0]);
    sock.close();
    await finishLab(h);
  }
});

test('segmentSize limits: each datagram must fit the MTU, at most 64 per send (EINVAL); a send within one segment is a plain datagram', async () => {
  const h = await host(withUso(2, true));
  const sock = h.ip.stack.udp.open(4);
  sock.segmentSize = 1473; // 20 + 8 + 1473 > 1500
  assert.throws(() => sock.send(data, '198.18.0.1', 9000), (e: unknown) => e instanceof SocketError && e.code === 'EINVAL');
  sock.segmentSize = 100;
  assert.throws(() => sock.send(new Uint8Array(6401), '198.18.0.1', 9000), (e: unknown) => e instanceof SocketError && e.code === 'EINVAL');
  assert.equal(h.lab.take().length, 0, 'nothing sent');
  assert.equal(h.ip.stack.counters.udp.sendErrors, 2);
  sock.segmentSize = 1000;
  sock.send(data.subarray(0, 1000), '198.18.0.1', 9000);
  const [f] = h.lab.take();
  assert.equal(f!.usoInfo, 0);
  assert.deepEqual(udp4Payload(f!.frame), data.subarray(0, 1000));
  sock.close();
  await finishLab(h);
});
