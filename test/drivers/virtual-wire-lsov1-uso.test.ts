/**
 * LSOv1 and USO on the virtual wire: an LSOv1 NBL arrives as MSS segments with the IPv4 ID stepping
 * through 0xFFFF → 0x0000 (LSOv1 wraps at 16 bits) and completes with TcpPayload written back; a USO NBL
 * arrives as MSS-sized datagrams with their own lengths and valid checksums; the sender refuses what is
 * not enabled, an MSS above the MTU and headers outside the first MDL, with a status and a counter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED as IP_OK,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED as TCP_OK,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED as UDP_OK,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_SUCCESS,
  NdisOidRequest,
  lsoV1TcpPayload,
  lsoV1Transmit,
  offloadEncapsulationCodec,
  usoTransmit,
  type NetBufferList,
} from '../../src/ndis/index.js';
import type { VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/adapter.js';
import { checksum, ip4 } from '../support/frames.js';
import { assertClean, macOf, makeHost, settle, shutdownAll, uniqueWire, type TestHost } from '../support/hosts.js';
import { L4_OFFSET, TCP_ACK, TCP_PSH, lsoV2Form, tcp4Frame } from '../support/offload-frames.js';

const CHECKSUMS = { '*IPChecksumOffloadIPv4': 3, '*TCPChecksumOffloadIPv4': 3, '*UDPChecksumOffloadIPv4': 3 };
const SRC = ip4('198.18.8.1');
const DST = ip4('198.18.8.2');

interface Got {
  frame: Uint8Array;
  checksumInfo: number;
}

async function host(name: string, wire: string, keywords: Record<string, number>): Promise<TestHost & { got: Got[]; done: NetBufferList[] }> {
  const h = await makeHost({ name, wire, keywords, rawOptions: { sendFrameSize: 65600 } });
  const ep = h.raw.endpoint('eth0');
  const got: Got[] = [];
  const done: NetBufferList[] = [];
  ep.receiveHandler = (nbls) => {
    for (let n: NetBufferList | null = nbls; n !== null; n = n.next) {
      const nb = n.firstNetBuffer!;
      const frame = new Uint8Array(nb.dataLength);
      nb.copyOut(frame, 0, 0, nb.dataLength);
      got.push({ frame, checksumInfo: n.info.tcpIpChecksum });
    }
  };
  ep.sendCompleteHandler = (nbls) => {
    for (let n: NetBufferList | null = nbls; n !== null; ) {
      const next: NetBufferList | null = n.next;
      n.next = null;
      done.push(n);
      n = next;
    }
  };
  const fam = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
  assert.equal(await ep.oid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: fam, ipv6: fam })), NDIS_STATUS_SUCCESS);
  return Object.assign(h, { got, done });
}

async function finish(hosts: (TestHost & { done: NetBufferList[] })[], expected: Parameters<typeof assertClean>[1] = []): Promise<void> {
  for (const h of hosts) for (const n of h.done.splice(0)) h.raw.endpoint('eth0').freeChain(n);
  await shutdownAll(...hosts);
  for (const h of hosts) assertClean(h.rt, expected);
}

const counters = (h: TestHost) => ((h.rt.adapter('eth0').instance as VirtualWireAdapter).inspect() as { offload: Record<string, number> }).offload;

test('LSOv1: MSS segments with the IPv4 ID wrapping 0xFFFF → 0x0000, and TcpPayload written back on completion', async () => {
  const wire = uniqueWire('vw1');
  const a = await host('A', wire, { ...CHECKSUMS, '*LsoV1IPv4': 1 });
  const b = await host('B', wire, CHECKSUMS);
  const payload = Uint8Array.from({ length: 4000 }, (_, i) => (i * 17) & 0xff);
  const base = { srcMac: macOf(a), dstMac: macOf(b), src: SRC, dst: DST, sport: 40000, dport: 80, ack: 0x20 };
  const full = tcp4Frame({ ...base, seq: 0x10, flags: TCP_ACK | TCP_PSH, payload, id: 0xfffe });
  const v1 = lsoV2Form(full);
  v1[16] = (full.length - 14) >> 8; // LSOv1: the protocol's total length of the whole packet
  v1[17] = (full.length - 14) & 0xff;
  assert.ok(a.raw.endpoint('eth0').send(v1, { tcpLargeSend: lsoV1Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET }) }));
  await settle();
  assert.equal(b.got.length, 3);
  const ids = [0xfffe, 0xffff, 0x0000];
  for (let i = 0; i < 3; i++) {
    const expected = tcp4Frame({ ...base, seq: 0x10 + i * 1460, flags: i === 2 ? TCP_ACK | TCP_PSH : TCP_ACK, payload: payload.subarray(i * 1460, (i + 1) * 1460), id: ids[i]! });
    assert.deepEqual(b.got[i]!.frame, expected, `segment ${i}`);
    assert.equal(b.got[i]!.checksumInfo, TCP_OK | IP_OK);
  }
  assert.equal(a.done[0]!.status, NDIS_STATUS_SUCCESS);
  assert.equal(a.done[0]!.info.tcpLargeSend >>> 30, 0, 'Type stays LSOv1');
  assert.equal(lsoV1TcpPayload(a.done[0]!.info.tcpLargeSend), 4000);
  // MSS above what a 1500-byte MTU carries: refused at the sender, counted, nothing on the wire, TcpPayload 0.
  assert.ok(a.raw.endpoint('eth0').send(v1, { tcpLargeSend: lsoV1Transmit({ mss: 1461, tcpHeaderOffset: L4_OFFSET }) }));
  await settle();
  assert.equal(a.done[1]!.status, NDIS_STATUS_INVALID_LENGTH);
  assert.equal(a.done[1]!.info.tcpLargeSend, 0);
  assert.equal(b.got.length, 3);
  assert.equal(counters(a).txLargeSendBadMss, 1);
  await finish([a, b]);
});

/** A USO-form UDP/IPv4 datagram: lengths 0, header checksum 0, seed over source, destination, protocol. */
function uso4(srcMac: Uint8Array, dstMac: Uint8Array, payload: Uint8Array, id: number): Uint8Array {
  const f = new Uint8Array(42 + payload.length);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  f.set([0x08, 0x00, 0x45, 0, 0, 0, id >> 8, id & 0xff, 0, 0, 64, 17, 0, 0], 12);
  f.set(SRC, 26);
  f.set(DST, 30);
  f.set([0x9c, 0x40, 0x13, 0x89, 0, 0], 34);
  let s = 17;
  for (const ip of [SRC, DST]) s += ((ip[0]! << 8) | ip[1]!) + ((ip[2]! << 8) | ip[3]!);
  s = (s & 0xffff) + (s >>> 16);
  f[40] = s >> 8;
  f[41] = s & 0xff;
  f.set(payload, 42);
  return f;
}

test('USO: one 10 000-byte datagram becomes 8 datagrams of MSS 1300 (the last shorter), each complete and valid; refused where USO is off', async () => {
  const wire = uniqueWire('vwu');
  const a = await host('A', wire, { ...CHECKSUMS, '*UsoIPv4': 1 });
  const b = await host('B', wire, CHECKSUMS);
  const payload = Uint8Array.from({ length: 10000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  const info = usoTransmit({ mss: 1300, udpHeaderOffset: 34, ipVersion: 0 });
  assert.ok(a.raw.endpoint('eth0').send(uso4(macOf(a), macOf(b), payload, 0x1000), { udpSegmentationOffloadInfo: info }));
  await settle();
  assert.equal(a.done[0]!.status, NDIS_STATUS_SUCCESS);
  assert.equal(b.got.length, 8);
  const parts: number[] = [];
  for (const [i, { frame: d, checksumInfo }] of b.got.entries()) {
    const rd = (o: number) => (d[o]! << 8) | d[o + 1]!;
    assert.equal(rd(16), d.length - 14, 'IPv4 total length');
    assert.equal(rd(18), 0x1000 + i, 'IPv4 ID +1');
    assert.equal(checksum(d, 14, 34), 0, 'IPv4 header checksum');
    assert.equal(rd(38), d.length - 34, 'UDP length');
    const udpLen = d.length - 34;
    let ps = 17 + udpLen;
    for (const ip of [SRC, DST]) ps += ((ip[0]! << 8) | ip[1]!) + ((ip[2]! << 8) | ip[3]!);
    assert.equal(checksum(d, 34, d.length, ps), 0, 'UDP checksum');
    assert.equal(checksumInfo, UDP_OK | IP_OK);
    parts.push(...d.subarray(42));
  }
  assert.deepEqual(Uint8Array.from(parts), payload, 'the datagrams carry the payload in order');
  assert.deepEqual(b.got.map((g) => g.frame.length - 42), [1300, 1300, 1300, 1300, 1300, 1300, 1300, 900]);
  assert.equal(counters(b).rxUsoDatagrams, 8);
  // B never enabled USO: its USO send fails and nothing reaches A.
  assert.ok(b.raw.endpoint('eth0').send(uso4(macOf(b), macOf(a), payload, 1), { udpSegmentationOffloadInfo: info }));
  await settle();
  assert.equal(b.done[0]!.status, NDIS_STATUS_FAILURE);
  assert.equal(a.got.length, 0);
  assert.equal(counters(b).txUsoRefused, 1);
  // …and the verifier names the protocol's mistake.
  assert.equal(b.rt.verifier.of('NblOffloadNotEnabled').length, 1);
  assert.match(b.rt.verifier.of('NblOffloadNotEnabled')[0]!.message, /USO \(IPv4\) is not enabled/);
  await finish([a, b], ['NblOffloadNotEnabled']);
});
