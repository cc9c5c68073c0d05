/**
 * Task offloads on the virtual wire: checksum offload finished by the receiving adapter; one LSOv2 NBL
 * arriving whole as an RSC unit at a peer with RSC (two tsndis hosts moving TCP in 64 KB units), or
 * segmented byte-exact at a peer without; LSO refused where it is not enabled; offloads are opt-in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED as IP_OK,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED as TCP_OK,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED as UDP_OK,
  LSO_V2_TRANSMIT_COMPLETE,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NdisOidRequest,
  checksumTx,
  lsoV2Transmit,
  offloadEncapsulationCodec,
  rscCoalescedSegCount,
  type NetBufferList,
} from '../../src/ndis/index.js';
import type { VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/adapter.js';
import { ethernet, ip4, ipv4, udp } from '../support/frames.js';
import { assertClean, macOf, makeHost, settle, shutdownAll, uniqueWire, type TestHost } from '../support/hosts.js';
import { L4_OFFSET, TCP_ACK, TCP_PSH, checksumOffloadForm, lsoV2Form, tcp4Frame } from '../support/offload-frames.js';

const CHECKSUMS = { '*IPChecksumOffloadIPv4': 3, '*TCPChecksumOffloadIPv4': 3, '*UDPChecksumOffloadIPv4': 3 };
const LSO = { ...CHECKSUMS, '*LsoV2IPv4': 1 };
const RSC = { ...CHECKSUMS, '*RscIPv4': 1 };

interface Got {
  frame: Uint8Array;
  checksumInfo: number;
  rscInfo: number;
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
      got.push({ frame, checksumInfo: n.info.tcpIpChecksum, rscInfo: n.info.tcpRecvSegCoalesceInfo });
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
  if (Object.keys(keywords).length > 0) assert.equal(await ep.oid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: fam, ipv6: fam })), NDIS_STATUS_SUCCESS);
  return Object.assign(h, { got, done });
}

async function finish(hosts: (TestHost & { done: NetBufferList[] })[], expected: Parameters<typeof assertClean>[1] = []): Promise<void> {
  for (const h of hosts) for (const n of h.done.splice(0)) h.raw.endpoint('eth0').freeChain(n);
  await shutdownAll(...hosts);
  for (const h of hosts) assertClean(h.rt, expected);
}

const SRC = ip4('198.18.7.1');
const DST = ip4('198.18.7.2');
const payload = Uint8Array.from({ length: 30000 }, (_, i) => (i * 3 + (i >> 9)) & 0xff);

test('checksum offload: the receiving adapter finishes the checksums; it reports them only for its enabled offloads', async () => {
  const wire = uniqueWire('vwo');
  const a = await host('A', wire, CHECKSUMS);
  const b = await host('B', wire, CHECKSUMS);
  const full = ethernet(macOf(b), macOf(a), 0x0800, ipv4(SRC, DST, 17, udp(SRC, DST, 1000, 2000, new Uint8Array(333).fill(5))));
  assert.ok(a.raw.endpoint('eth0').send(checksumOffloadForm(full, true), { tcpIpChecksum: checksumTx({ isIPv4: true, udpChecksum: true, ipHeaderChecksum: true }) }));
  const tcp = tcp4Frame({ srcMac: macOf(a), dstMac: macOf(b), src: SRC, dst: DST, sport: 1, dport: 2, seq: 5, ack: 6, flags: TCP_ACK, payload: payload.subarray(0, 999) });
  assert.ok(a.raw.endpoint('eth0').send(checksumOffloadForm(tcp, false), { tcpIpChecksum: checksumTx({ isIPv4: true, tcpChecksum: true, tcpHeaderOffset: L4_OFFSET }) }));
  await settle();
  assert.deepEqual(b.got.map((g) => g.frame), [full, tcp]);
  assert.deepEqual(b.got.map((g) => g.checksumInfo), [UDP_OK | IP_OK, TCP_OK | IP_OK]);
  assert.equal((b.rt.adapter('eth0').instance as VirtualWireAdapter).wireOffload.counters.rxChecksumFinished, 2);
  await finish([a, b]);
});

test('LSOv2 to a peer with RSC: one 30 000-byte NBL arrives whole, complete, with CoalescedSegCount 21', async () => {
  const wire = uniqueWire('vwo');
  const a = await host('A', wire, LSO);
  const b = await host('B', wire, RSC);
  assert.equal(b.rt.adapter('eth0').offload.hardware.rsc.ipv4Enabled, true);
  const full = tcp4Frame({ srcMac: macOf(a), dstMac: macOf(b), src: SRC, dst: DST, sport: 40000, dport: 80, seq: 0x10, ack: 0x20, flags: TCP_ACK | TCP_PSH, payload, id: 0x1234 });
  const lso = lsoV2Form(full);
  assert.ok(a.raw.endpoint('eth0').send(lso, { tcpLargeSend: lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 }) }));
  await settle();
  assert.equal(b.got.length, 1);
  assert.deepEqual(b.got[0]!.frame, full, 'the complete large segment: real total length, every checksum right');
  assert.equal(rscCoalescedSegCount(b.got[0]!.rscInfo), 21);
  assert.equal(b.got[0]!.checksumInfo, TCP_OK | IP_OK);
  assert.equal(a.done[0]!.status, NDIS_STATUS_SUCCESS);
  assert.equal(a.done[0]!.info.tcpLargeSend, LSO_V2_TRANSMIT_COMPLETE);
  await finish([a, b]);
});

test('LSOv2 to a peer without RSC: 21 MSS segments, byte-exact; to a host that never enabled LSO: refused', async () => {
  const wire = uniqueWire('vwo');
  const a = await host('A', wire, LSO);
  const b = await host('B', wire, CHECKSUMS);
  const base = { srcMac: macOf(a), dstMac: macOf(b), src: SRC, dst: DST, sport: 40000, dport: 80, ack: 0x20, id: 0x7ff0 };
  const lso = lsoV2Form(tcp4Frame({ ...base, seq: 0x10, flags: TCP_ACK | TCP_PSH, payload }));
  const info = lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
  assert.ok(a.raw.endpoint('eth0').send(lso, { tcpLargeSend: info }));
  await settle();
  assert.equal(b.got.length, 21);
  for (let i = 0; i < 21; i++) {
    const chunk = payload.subarray(i * 1460, Math.min(30000, (i + 1) * 1460));
    const expected = tcp4Frame({ ...base, seq: 0x10 + i * 1460, flags: i === 20 ? TCP_ACK | TCP_PSH : TCP_ACK, payload: chunk, id: i === 0 ? 0x7ff0 : (0x7ff0 + i) & 0x7fff });
    assert.deepEqual(b.got[i]!.frame, expected, `segment ${i}`);
    assert.equal(b.got[i]!.checksumInfo, TCP_OK | IP_OK);
    assert.equal(b.got[i]!.rscInfo, 0);
  }
  // B has checksum offload but not LSO: its LSO send fails, and the verifier names the protocol's mistake.
  assert.ok(b.raw.endpoint('eth0').send(lsoV2Form(tcp4Frame({ ...base, seq: 1, flags: TCP_ACK, payload: payload.subarray(0, 5000) })), { tcpLargeSend: info }));
  await settle();
  assert.equal(b.done[0]!.status, NDIS_STATUS_FAILURE);
  assert.equal(a.got.length, 0, 'nothing reached the wire');
  assert.equal(b.rt.verifier.of('NblOffloadNotEnabled').length, 1);
  await finish([a, b], ['NblOffloadNotEnabled']);
});

test('offloads are opt-in: without keywords the adapter reports none and the inspector shows no offload line', async () => {
  const wire = uniqueWire('vwo');
  const a = await host('A', wire, {});
  const mb = a.rt.adapter('eth0');
  assert.deepEqual(mb.offload.current, NDIS_OFFLOAD_NONE);
  assert.deepEqual(mb.offload.hardware, NDIS_OFFLOAD_NONE);
  assert.equal((mb.instance as VirtualWireAdapter).offloads, null);
  await finish([a]);
});
