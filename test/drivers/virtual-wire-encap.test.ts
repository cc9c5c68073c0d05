/**
 * Encapsulated-packet offload (NVGRE / VXLAN, §6) on the virtual wire and the common OID handling:
 * capabilities and current configuration, SET_ON / SET_OFF per type, refusals with the spec's status,
 * an encapsulated LSO frame arriving as correct MTU-sized encapsulated segments, checksum-only frames
 * finished across the tunnel, and lying supplemental info failing the NBL (counted, nothing on the wire).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MiniportOffloads, SOFTWARE_ENCAPSULATED_OFFLOAD, softwareOffloadCapabilities, withSoftwareEncapsulatedOffload } from '../../src/drivers/common/task-offload.js';
import type { VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/adapter.js';
import {
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED as IP_OK,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED as TCP_OK,
  LSO_V2_TRANSMIT_COMPLETE,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_TYPE_GRE_MAC,
  NDIS_ENCAPSULATION_TYPE_VXLAN,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_SET_OFF,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NdisOidRequest,
  OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  checksumTx,
  lsoV2Transmit,
  offloadEncapsulationCodec,
  offloadHardwareCapabilitiesCodec,
  offloadParametersCodec,
  sendOffloadsSupplementalValue,
  type MiniportAdapterHandle,
  type NdisOffload,
  type NdisStatusIndicationInit,
  type NetBufferList,
} from '../../src/ndis/index.js';
import { checksumTemplate, encapChecksumsValid, encapFrame, lsoTemplate, offsetsOf, type EncapFrame } from '../support/encap-frames.js';
import { assertClean, macOf, makeHost, settle, shutdownAll, uniqueWire, type TestHost } from '../support/hosts.js';

// ---- MiniportOffloads: the OID side ------------------------------------------------------------------

function fakeHandle(): { handle: MiniportAdapterHandle; indications: NdisStatusIndicationInit[] } {
  const indications: NdisStatusIndicationInit[] = [];
  return { handle: { indicateStatus: (i: NdisStatusIndicationInit) => indications.push(i) } as unknown as MiniportAdapterHandle, indications };
}

const HW = withSoftwareEncapsulatedOffload(softwareOffloadCapabilities(false));
const PLAIN = softwareOffloadCapabilities(false);

test('capabilities: GRE and VXLAN blocks with EncapsulationTypes, answered through OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES', () => {
  const o = new MiniportOffloads(fakeHandle().handle, HW, HW);
  const q = NdisOidRequest.query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, 256);
  assert.equal(o.handleOid(q), NDIS_STATUS_SUCCESS);
  const got = q.queryResult(offloadHardwareCapabilitiesCodec)!;
  assert.equal(got.encapsulationTypes, NDIS_ENCAPSULATION_TYPE_GRE_MAC | NDIS_ENCAPSULATION_TYPE_VXLAN);
  assert.deepEqual(got.encapsulatedPacketTaskOffloadGre, SOFTWARE_ENCAPSULATED_OFFLOAD.encapsulatedPacketTaskOffloadGre);
  assert.deepEqual(got.encapsulatedPacketTaskOffloadVxlan, SOFTWARE_ENCAPSULATED_OFFLOAD.encapsulatedPacketTaskOffloadVxlan);
});

test('OID_TCP_OFFLOAD_PARAMETERS: SET_OFF / SET_ON per type are applied and indicated; unadvertised types and bad values refused', () => {
  const { handle, indications } = fakeHandle();
  const o = new MiniportOffloads(handle, HW, HW);
  const set = (encapsulatedPacketTaskOffload: number, encapsulationTypes: number, vxlanUdpPortNumber = 0) =>
    o.handleOid(NdisOidRequest.set(offloadParametersCodec, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, encapsulatedPacketTaskOffload, encapsulationTypes, vxlanUdpPortNumber }));
  assert.equal(set(NDIS_OFFLOAD_SET_OFF, NDIS_ENCAPSULATION_TYPE_VXLAN), NDIS_STATUS_SUCCESS);
  assert.equal(o.current.encapsulationTypes, NDIS_ENCAPSULATION_TYPE_GRE_MAC);
  const last = indications.at(-1)!;
  assert.equal(last.statusCode, NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG);
  assert.equal((last.statusBuffer as NdisOffload).encapsulationTypes, NDIS_ENCAPSULATION_TYPE_GRE_MAC);
  assert.equal(set(NDIS_OFFLOAD_SET_ON, NDIS_ENCAPSULATION_TYPE_VXLAN, 8472), NDIS_STATUS_SUCCESS);
  assert.equal(o.current.encapsulatedPacketTaskOffloadVxlan?.vxlanUdpPortNumber, 8472);
  const n = indications.length;
  assert.equal(set(NDIS_OFFLOAD_SET_ON, 0x4), NDIS_STATUS_NOT_SUPPORTED);
  // A value outside the field's enumeration is invalid contents (OID_TCP_OFFLOAD_PARAMETERS), like every other field's.
  assert.equal(set(3, NDIS_ENCAPSULATION_TYPE_GRE_MAC), NDIS_STATUS_INVALID_DATA);
  assert.equal(set(NDIS_OFFLOAD_SET_ON, 0), NDIS_STATUS_INVALID_PARAMETER);
  assert.equal(indications.length, n, 'a refused set indicates nothing');
  // The out-of-range value is refused by the generic check before the encapsulated one: two here.
  assert.equal(o.encapsulatedSetsRefused, 2);
  // An adapter without the offload refuses SET_ON but accepts SET_OFF of nothing it has (no change).
  const p = new MiniportOffloads(fakeHandle().handle, PLAIN, PLAIN);
  assert.equal(p.handleOid(NdisOidRequest.set(offloadParametersCodec, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, encapsulatedPacketTaskOffload: NDIS_OFFLOAD_SET_ON, encapsulationTypes: 1 })), NDIS_STATUS_NOT_SUPPORTED);
  assert.equal(p.current.encapsulationTypes, undefined);
});

// ---- the virtual wire ------------------------------------------------------------------------------

const BASE = { '*IPChecksumOffloadIPv4': 3, '*TCPChecksumOffloadIPv4': 3, '*TCPChecksumOffloadIPv6': 3, '*UDPChecksumOffloadIPv4': 3, '*LsoV2IPv4': 1, '*LsoV2IPv6': 1 };
const ENCAP = { ...BASE, '*EncapsulatedPacketTaskOffload': 1 };

type Host = TestHost & { got: { frame: Uint8Array; checksumInfo: number }[]; done: NetBufferList[] };

async function host(name: string, wire: string, keywords: Record<string, number>): Promise<Host> {
  const h = await makeHost({ name, wire, keywords, rawOptions: { sendFrameSize: 65600 } });
  const ep = h.raw.endpoint('eth0');
  const got: Host['got'] = [];
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

async function finish(hosts: Host[]): Promise<void> {
  for (const h of hosts) for (const n of h.done.splice(0)) h.raw.endpoint('eth0').freeChain(n);
  await shutdownAll(...hosts);
  for (const h of hosts) assertClean(h.rt);
}

function supp(f: EncapFrame): number {
  const o = offsetsOf(f);
  return sendOffloadsSupplementalValue(o.innerFrame, o.innerIp - o.innerFrame, o.tcp - o.innerIp, f.inner6, false);
}

const ACK = 0x10;
const PSH = 0x08;
const lso = (mss: number) => lsoV2Transmit({ mss, tcpHeaderOffset: 0, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });

test('virtual wire: a VXLAN LSO frame (IPv6 inside IPv4) arrives as MTU-sized VXLAN segments, byte-exact', async () => {
  const wire = uniqueWire('vwe');
  const a = await host('A', wire, ENCAP);
  const b = await host('B', wire, BASE);
  assert.equal(a.rt.adapter('eth0').offload.current.encapsulationTypes, 3);
  assert.equal(b.rt.adapter('eth0').offload.current.encapsulationTypes, undefined, 'opt-in: B did not set the keyword');
  const payload = Uint8Array.from({ length: 20000 }, (_, i) => (i * 5 + 1) & 0xff);
  const f: EncapFrame = { tunnel: 'vxlan', outer6: false, inner6: true, outerId: 0x100, seq: 7, flags: ACK | PSH, payload, outerDstMac: macOf(b), outerSrcMac: macOf(a) };
  const mss = 1500 - (20 + 8 + 8 + 14) - 40 - 20; // outer IPv4 + UDP + VXLAN + inner Ethernet, inner IPv6, TCP
  assert.ok(a.raw.endpoint('eth0').send(lsoTemplate(f), { tcpLargeSend: lso(mss), tcpSendOffloadsSupplemental: supp(f) }));
  await settle();
  const n = Math.ceil(payload.length / mss);
  assert.equal(b.got.length, n);
  for (let i = 0; i < n; i++) {
    const chunk = payload.subarray(i * mss, Math.min(payload.length, (i + 1) * mss));
    const exp = encapFrame({ ...f, seq: 7 + i * mss, flags: i === n - 1 ? ACK | PSH : ACK, payload: chunk, outerId: 0x100 + i });
    assert.deepEqual(b.got[i]!.frame, exp, `segment ${i}`);
    assert.equal(encapChecksumsValid(f, b.got[i]!.frame), null);
    assert.ok(b.got[i]!.frame.length <= 1514);
  }
  assert.equal(a.done[0]!.status, NDIS_STATUS_SUCCESS);
  assert.equal(a.done[0]!.info.tcpLargeSend, LSO_V2_TRANSMIT_COMPLETE);
  const bw = b.rt.adapter('eth0').instance as VirtualWireAdapter;
  assert.equal(bw.wireOffload.encap.counters.lsoFrames, 1);
  assert.equal(bw.wireOffload.encap.counters.lsoSegments, n);
  await finish([a, b]);
});

test('virtual wire: an NVGRE checksum-offload frame is finished across the tunnel; the receiver with the offload reports it', async () => {
  const wire = uniqueWire('vwe');
  const a = await host('A', wire, ENCAP);
  const b = await host('B', wire, ENCAP);
  const f: EncapFrame = { tunnel: 'gre', outer6: false, inner6: false, outerId: 9, innerId: 10, seq: 1, flags: ACK, payload: new Uint8Array(900).fill(3), outerDstMac: macOf(b), outerSrcMac: macOf(a) };
  const cs = checksumTx({ isIPv4: true, ipHeaderChecksum: true, tcpChecksum: true });
  assert.ok(a.raw.endpoint('eth0').send(checksumTemplate(f), { tcpIpChecksum: cs, tcpSendOffloadsSupplemental: supp(f) }));
  await settle();
  assert.equal(b.got.length, 1);
  assert.deepEqual(b.got[0]!.frame, encapFrame(f));
  assert.equal(b.got[0]!.checksumInfo, IP_OK | TCP_OK);
  await finish([a, b]);
});

test('virtual wire: lying offsets fail the NBL with NDIS_STATUS_INVALID_PACKET, counted; encapsulated offload off fails it too', async () => {
  const wire = uniqueWire('vwe');
  const a = await host('A', wire, ENCAP);
  const b = await host('B', wire, BASE);
  const f: EncapFrame = { tunnel: 'vxlan', outer6: false, inner6: false, seq: 1, flags: ACK, payload: new Uint8Array(5000), outerDstMac: macOf(b), outerSrcMac: macOf(a) };
  const o = offsetsOf(f);
  const lying = sendOffloadsSupplementalValue(o.innerFrame + 2, 14, 20, false, false);
  assert.ok(a.raw.endpoint('eth0').send(lsoTemplate(f), { tcpLargeSend: lso(1400), tcpSendOffloadsSupplemental: lying }));
  const wrongVersion = sendOffloadsSupplementalValue(o.innerFrame, 14, 20, true, false);
  assert.ok(a.raw.endpoint('eth0').send(checksumTemplate(f), { tcpIpChecksum: checksumTx({ isIPv4: true, tcpChecksum: true }), tcpSendOffloadsSupplemental: wrongVersion }));
  await settle();
  assert.deepEqual(a.done.map((d) => d.status), [NDIS_STATUS_INVALID_PACKET, NDIS_STATUS_INVALID_PACKET]);
  assert.equal(b.got.length, 0, 'nothing reached the wire');
  const aw = a.rt.adapter('eth0').instance as VirtualWireAdapter;
  assert.equal(aw.wireOffload.encap.counters.refusedOffsets, 2);
  assert.equal((aw.inspect().encapsulatedOffload as { refusedOffsets: number }).refusedOffsets, 2);
  // Switched off by OID: an encapsulated send is refused.
  const off = { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, encapsulatedPacketTaskOffload: NDIS_OFFLOAD_SET_OFF, encapsulationTypes: 3 };
  assert.equal(await a.raw.endpoint('eth0').oid(NdisOidRequest.set(offloadParametersCodec, off)), NDIS_STATUS_SUCCESS);
  assert.equal(a.rt.adapter('eth0').offload.current.encapsulationTypes, undefined);
  assert.ok(a.raw.endpoint('eth0').send(lsoTemplate(f), { tcpLargeSend: lso(1400), tcpSendOffloadsSupplemental: supp(f) }));
  await settle();
  assert.equal(a.done[2]!.status, NDIS_STATUS_FAILURE);
  assert.equal(b.got.length, 0);
  await finish([a, b]);
});
