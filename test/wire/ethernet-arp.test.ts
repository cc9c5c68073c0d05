/**
 * Ethernet II, 802.1Q and ARP against byte vectors: a real ARP request Linux sent (captured from a
 * TAP, test/fuzz/corpus/wire/linux-arp-request.bin) and a hand-written tagged header.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ARP_LEN,
  ArpOperation,
  ArpView,
  ETHERNET_HEADER_LEN,
  ETHERNET_VLAN_HEADER_LEN,
  EtherType,
  EthernetView,
  MAC_BROADCAST,
  WireError,
  emitArp,
  emitEthernet,
  ipv4,
  mac,
  parseArp,
  parseEthernet,
  type ArpRepr,
  type EthernetRepr,
} from '../../src/wire/index.js';
import { assertBytes, concat, corpusFrame, hex, junk } from './helpers.js';

/** Linux 6.18 asking who has 198.18.7.2 (an Ethernet broadcast, no padding: TAPs pass 42 bytes). */
const ARP_REQUEST_FRAME = hex(
  'ffff ffff ffff', // destination: broadcast
  '0200 0000 0701', // source 02:00:00:00:07:01
  '0806', //           EtherType ARP
  '0001', //           hardware type Ethernet
  '0800', //           protocol type IPv4
  '06 04', //          hardware length 6, protocol length 4
  '0001', //           operation: request
  '0200 0000 0701', // sender hardware address
  'c612 0701', //      sender protocol address 198.18.7.1
  '0000 0000 0000', // target hardware address: unknown
  'c612 0702', //      target protocol address 198.18.7.2
);

const ARP_REQUEST: ArpRepr = {
  operation: ArpOperation.Request,
  senderHardwareAddr: mac('02:00:00:00:07:01'),
  senderProtocolAddr: ipv4(198, 18, 7, 1),
  targetHardwareAddr: new Uint8Array(6),
  targetProtocolAddr: ipv4(198, 18, 7, 2),
};

/** Hand-written: a tagged header, VLAN 100, priority 5, DEI set, carrying IPv6. */
const TAGGED_HEADER = hex(
  '0200 0000 0702', // destination
  '0200 0000 0701', // source
  '8100', //           TPID: 802.1Q
  'b064', //           TCI: PCP 5 (101), DEI 1, VID 100 (0x064)
  '86dd', //           EtherType after the tag: IPv6
);

test('ethernet: the captured ARP frame is the vector written out above', () => {
  assertBytes(corpusFrame('linux-arp-request'), ARP_REQUEST_FRAME);
});

test('ethernet: view reads every field of an untagged header', () => {
  assert.equal(EthernetView.check(ARP_REQUEST_FRAME, 0, ARP_REQUEST_FRAME.length), 0);
  const v = new EthernetView().bind(ARP_REQUEST_FRAME, 0);
  assert.ok(v.dstEquals(MAC_BROADCAST));
  assert.ok(v.dstIsBroadcast && v.dstIsMulticast);
  assert.ok(v.srcEquals(mac('02:00:00:00:07:01')));
  assert.equal(v.dstOffset, 0);
  assert.equal(v.srcOffset, 6);
  assert.equal(v.hasVlanTag, false);
  assert.equal(v.outerEtherType, EtherType.Arp);
  assert.equal(v.etherType, EtherType.Arp);
  assert.equal(v.headerLength, ETHERNET_HEADER_LEN);
  assert.equal(v.payloadOffset, 14);
  const out = new Uint8Array(8);
  v.copySrc(out, 2);
  assertBytes(out, hex('0000 0200 0000 0701'));
});

test('ethernet: view reads every field of an 802.1Q tag and the EtherType after it', () => {
  const f = concat(TAGGED_HEADER, new Uint8Array(40));
  assert.equal(EthernetView.check(f, 0, f.length), 0);
  const v = new EthernetView().bind(f, 0);
  assert.equal(v.dstIsMulticast, false);
  assert.equal(v.hasVlanTag, true);
  assert.equal(v.outerEtherType, EtherType.Vlan);
  assert.deepEqual([v.vlanTci, v.vlanPcp, v.vlanDei, v.vlanId], [0xb064, 5, true, 100]);
  assert.equal(v.etherType, EtherType.Ipv6);
  assert.equal(v.headerLength, ETHERNET_VLAN_HEADER_LEN);
  assert.equal(v.payloadOffset, 18);
});

test('ethernet: setters write only their own bits', () => {
  const f = Uint8Array.from(TAGGED_HEADER);
  const v = new EthernetView().bind(f, 0);
  v.vlanPcp = 2;
  v.vlanDei = false;
  v.vlanId = 4095;
  v.etherType = EtherType.Ipv4;
  v.setDst(MAC_BROADCAST);
  v.setSrc(hex('aabb ccdd eeff'));
  assertBytes(f, hex('ffff ffff ffff', 'aabb ccdd eeff', '8100', '4fff', '0800'));
  v.vlanTci = 0x0001;
  assert.deepEqual([v.vlanPcp, v.vlanDei, v.vlanId], [0, false, 1]);
  v.outerEtherType = EtherType.Ipv6;
  assert.equal(v.hasVlanTag, false);
  assert.equal(v.etherType, EtherType.Ipv6);
});

test('ethernet: parse and emit (into 0xa5 junk) match the vectors byte for byte', () => {
  const untagged: EthernetRepr = { dst: MAC_BROADCAST, src: mac('02:00:00:00:07:01'), vlan: null, etherType: EtherType.Arp };
  assert.deepEqual(parseEthernet(ARP_REQUEST_FRAME, 0, ARP_REQUEST_FRAME.length), { ...untagged, dst: Uint8Array.from(MAC_BROADCAST) });
  const buf = junk(16);
  assert.equal(emitEthernet(untagged, buf, 1), 14);
  assertBytes(buf, concat(hex('a5'), ARP_REQUEST_FRAME.subarray(0, 14), hex('a5')));

  const tagged: EthernetRepr = {
    dst: mac('02:00:00:00:07:02'),
    src: mac('02:00:00:00:07:01'),
    vlan: { pcp: 5, dei: true, id: 100 },
    etherType: EtherType.Ipv6,
  };
  assert.deepEqual(parseEthernet(TAGGED_HEADER, 0, 18), tagged);
  const tbuf = junk(18);
  assert.equal(emitEthernet(tagged, tbuf, 0), 18);
  assertBytes(tbuf, TAGGED_HEADER);
});

test('ethernet: short frames and a tag without its 4 bytes are Truncated', () => {
  for (let n = 0; n < 14; n++) assert.equal(EthernetView.check(ARP_REQUEST_FRAME, 0, n), WireError.Truncated);
  for (let n = 14; n < 18; n++) assert.equal(EthernetView.check(TAGGED_HEADER, 0, n), WireError.Truncated);
  assert.equal(EthernetView.check(ARP_REQUEST_FRAME, 30, 14), WireError.Truncated, 'range beyond the buffer');
  assert.equal(EthernetView.check(ARP_REQUEST_FRAME, -1, 14), WireError.Truncated);
  assert.equal(parseEthernet(TAGGED_HEADER, 0, 17), WireError.Truncated);
});

test('ethernet: emit rejects impossible Reprs', () => {
  const ok: EthernetRepr = { dst: MAC_BROADCAST, src: MAC_BROADCAST, vlan: null, etherType: 0x0800 };
  assert.throws(() => emitEthernet({ ...ok, dst: new Uint8Array(5) }, junk(14), 0), RangeError);
  assert.throws(() => emitEthernet({ ...ok, etherType: EtherType.Vlan }, junk(14), 0), RangeError);
  assert.throws(() => emitEthernet({ ...ok, vlan: { pcp: 8, dei: false, id: 1 } }, junk(18), 0), RangeError);
  assert.throws(() => emitEthernet(ok, junk(13), 0), RangeError);
});

test('arp: view reads every field of the captured request', () => {
  const a = ARP_REQUEST_FRAME.subarray(14);
  assert.equal(ArpView.check(a, 0, a.length), 0);
  const v = new ArpView().bind(a, 0);
  assert.deepEqual(
    [v.hardwareType, v.protocolType, v.hardwareLength, v.protocolLength, v.operation, v.senderProtocolAddr, v.targetProtocolAddr],
    [1, 0x0800, 6, 4, ArpOperation.Request, ipv4(198, 18, 7, 1), ipv4(198, 18, 7, 2)],
  );
  assert.ok(v.senderHardwareAddrEquals(mac('02:00:00:00:07:01')));
  assert.ok(v.targetHardwareAddrEquals(new Uint8Array(6)));
  assert.equal(v.senderHardwareAddrOffset, 8);
  assert.equal(v.targetHardwareAddrOffset, 18);
});

test('arp: parse and emit (into 0xa5 junk) match the captured request byte for byte', () => {
  assert.deepEqual(parseArp(ARP_REQUEST_FRAME, 14, 28), ARP_REQUEST);
  const buf = junk(30);
  assert.equal(emitArp(ARP_REQUEST, buf, 1), ARP_LEN);
  assertBytes(buf, concat(hex('a5'), ARP_REQUEST_FRAME.subarray(14), hex('a5')));
});

test('arp: a reply written by the view setters', () => {
  const reply = hex(
    '0001 0800 06 04', // Ethernet / IPv4
    '0002', //            operation: reply
    '0200 0000 0702', //  sender hardware address
    'c612 0702', //       sender protocol address 198.18.7.2
    '0200 0000 0701', //  target hardware address
    'c612 0701', //       target protocol address 198.18.7.1
  );
  const b = Uint8Array.from(ARP_REQUEST_FRAME.subarray(14));
  const v = new ArpView().bind(b, 0);
  v.operation = ArpOperation.Reply;
  v.setTargetHardwareAddr(b, 8);
  v.targetProtocolAddr = v.senderProtocolAddr;
  v.setSenderHardwareAddr(mac('02:00:00:00:07:02'));
  v.senderProtocolAddr = ipv4(198, 18, 7, 2);
  assertBytes(b, reply);
  const out = new Uint8Array(6);
  v.copyTargetHardwareAddr(out);
  v.copySenderHardwareAddr(out);
  assertBytes(out, mac('02:00:00:00:07:02'));
});

test('arp: other hardware/protocol types are Unsupported; short packets Truncated', () => {
  const a = Uint8Array.from(ARP_REQUEST_FRAME.subarray(14));
  for (let n = 0; n < 28; n++) assert.equal(ArpView.check(a, 0, n), WireError.Truncated, `length ${String(n)}`);
  const variants: Array<[number, number]> = [[1, 6], [3, 0x86], [4, 8], [5, 16]];
  for (const [i, v] of variants) {
    const b = Uint8Array.from(a);
    b[i] = v;
    assert.equal(parseArp(b, 0, 28), WireError.Unsupported, `byte ${String(i)} = ${String(v)}`);
  }
});
