/**
 * 802.1Q: an interface with VlanId sends tagged frames and accepts only its VLAN; an untagged interface
 * accepts untagged and priority-tagged (VID 0) frames and drops other VLANs. Plus atomic IPv6 fragments
 * (RFC 6946), which are whole datagrams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpProtocol, emitIcmpv4, emitIpv4, emitIpv6, emitIpv6Fragment, emitUdp, ipv6, mac } from '../../src/wire/index.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';

const ME = mac('02:00:00:00:1a:01');
const PEER = mac('02:00:00:00:0a:01');

function echoFrame(vlanId: number | null): Uint8Array {
  const icmp = new Uint8Array(16);
  emitIcmpv4({ type: 8, identifier: 1, sequenceNumber: 1, data: new Uint8Array(8) }, icmp, 0);
  const hl = vlanId === null ? 14 : 18;
  const f = new Uint8Array(hl + 20 + 16);
  f.set(ME, 0);
  f.set(PEER, 6);
  if (vlanId === null) f.set([0x08, 0x00], 12);
  else f.set([0x81, 0x00, 0xa0 | (vlanId >> 8), vlanId & 0xff, 0x08, 0x00], 12);
  f.set(icmp, hl + 20);
  emitIpv4({ dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.Icmp, src: 0xc6120001, dst: 0xc6120002, options: new Uint8Array(0), payloadLength: 16 }, f, hl);
  return f;
}

async function host(vlan: number): Promise<LabHost> {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false, VlanId: vlan, Neighbors: ['198.18.0.1 02-00-00-00-0a-01'] }, { mac: ME });
  return h;
}

test('vlan: VlanId=5 tags what it sends and accepts only VLAN 5', async () => {
  const h = await host(5);
  const [garp] = h.lab.take();
  assert.deepEqual([...garp!.frame.subarray(12, 18)], [0x81, 0x00, 0x00, 0x05, 0x08, 0x06], 'gratuitous ARP tagged');
  h.lab.inject([echoFrame(null), echoFrame(6), echoFrame(5)]);
  await labPump(h, 0);
  assert.equal(h.ip.stack.counters.link.vlanMismatch, 2);
  const out = h.lab.take();
  assert.equal(out.length, 1);
  assert.deepEqual([...out[0]!.frame.subarray(12, 16)], [0x81, 0x00, 0x00, 0x05]);
  assert.equal(out[0]!.frame[18 + 20], 0, 'echo reply');
  await finishLab(h);
});

test('vlan: an untagged interface accepts priority-tagged frames and drops other VLANs', async () => {
  const h = await host(0);
  h.lab.take();
  h.lab.inject([echoFrame(0), echoFrame(7), echoFrame(null)]);
  await labPump(h, 0);
  assert.equal(h.ip.stack.counters.link.vlanMismatch, 1);
  assert.equal(h.ip.stack.counters.icmp.echoRequestsIn, 2);
  assert.ok(h.lab.take().every((s) => s.frame[12] === 0x08), 'replies untagged');
  await finishLab(h);
});

test('ipv6: an atomic fragment (offset 0, M clear) is a whole datagram', async () => {
  const h = await host(0);
  const sock = h.ip.stack.udp.open(6).bind(7);
  const udp = new Uint8Array(8 + 4);
  udp.set([1, 2, 3, 4], 8);
  emitUdp({ srcPort: 9, dstPort: 7, payloadLength: 4 }, udp, 0, { version: 6, src: ipv6('fd00::1'), dst: ipv6('fd00::2') });
  const f = new Uint8Array(14 + 40 + 8 + udp.length);
  f.set(ME, 0);
  f.set(PEER, 6);
  f.set([0x86, 0xdd], 12);
  emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.Ipv6Fragment, hopLimit: 64, src: ipv6('fd00::1'), dst: ipv6('fd00::2'), payloadLength: 8 + udp.length }, f, 14);
  emitIpv6Fragment({ nextHeader: IpProtocol.Udp, fragmentOffset: 0, moreFragments: false, identification: 5 }, f, 54);
  f.set(udp, 62);
  h.lab.inject([f]);
  await labPump(h, 0);
  assert.equal(h.ip.stack.counters.ipv6.atomicFragments, 1);
  assert.equal(h.ip.stack.counters.reassembly.fragments, 0, 'not through reassembly');
  const m = await sock.receive();
  assert.deepEqual([...m!.data], [1, 2, 3, 4]);
  sock.close();
  await finishLab(h);
});
