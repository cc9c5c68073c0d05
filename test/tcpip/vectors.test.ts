/**
 * Byte-exact frames tsndis.tcpip emits: gratuitous ARP, DAD and resolving neighbour solicitations, ARP
 * request and reply, neighbour advertisement, ICMP and ICMPv6 echo replies. The expected bytes were
 * built field by field by an independent script (Python struct + its own checksum), not by src/wire.
 * IPv4 identification is the stack's choice: it is checked to be in 0x0000–0x7FFF, the header checksum
 * is verified, and both are masked before the comparison.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyIpv4HeaderChecksum } from '../../src/wire/index.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';

function hex(...parts: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
}

const ME = '020000001a01';
const PEER = '020000000a01';

/** Zeroes the IPv4 identification and header checksum after checking them. */
function maskIpv4(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  assert.ok(verifyIpv4HeaderChecksum(f, 14, f.length - 14), 'IPv4 header checksum');
  assert.ok(((f[18]! << 8) | f[19]!) <= 0x7fff, 'IP ID within 0x0000–0x7FFF');
  f[18] = f[19] = f[24] = f[25] = 0;
  return f;
}

const GRATUITOUS_ARP = hex(
  'ffffffffffff', ME, '0806',           // broadcast, our MAC, ARP
  '0001 0800 06 04 0001',               // Ethernet/IPv4, request
  ME, 'c6120002',                       // sender: us, 198.18.0.2
  '000000000000', 'c6120002',           // target: 198.18.0.2 (gratuitous)
);

const DAD_LINK_LOCAL = hex(
  '3333ff001a01', ME, '86dd',           // solicited-node MAC of fe80::ff:fe00:1a01
  '60000000 0018 3a ff',                // IPv6, payload 24, ICMPv6, hop limit 255
  '00000000000000000000000000000000',   // source :: (DAD)
  'ff0200000000000000000001ff001a01',   // ff02::1:ff00:1a01
  '87 00 4925 00000000',                // NS, checksum, reserved
  'fe80000000000000000000fffe001a01',   // target fe80::ff:fe00:1a01 (EUI-64 of the MAC); no options
);

const DAD_GLOBAL = hex(
  '3333ff000002', ME, '86dd',
  '60000000 0018 3a ff',
  '00000000000000000000000000000000',
  'ff0200000000000000000001ff000002',
  '87 00 7da3 00000000',
  'fd000000000000000000000000000002',
);

const ARP_REQUEST = hex('ffffffffffff', ME, '0806', '0001 0800 06 04 0001', ME, 'c6120002', '000000000000', 'c6120001');
const ARP_REPLY = hex(PEER, ME, '0806', '0001 0800 06 04 0002', ME, 'c6120002', PEER, 'c6120001');

const NEIGHBOR_SOLICITATION = hex(
  '3333ff000001', ME, '86dd',
  '60000000 0020 3a ff',                // payload 32: NS + source link-layer option
  'fd000000000000000000000000000002',   // from our global address
  'ff0200000000000000000001ff000001',   // to fd00::1's solicited-node group
  '87 00 6398 00000000',
  'fd000000000000000000000000000001',   // target fd00::1
  '01 01', ME,                          // source link-layer address option
);

const NEIGHBOR_ADVERTISEMENT = hex(
  PEER, ME, '86dd',
  '60000000 0020 3a ff',
  'fd000000000000000000000000000002',
  'fd000000000000000000000000000001',
  '88 00 029b 60000000',                // NA, S and O set
  'fd000000000000000000000000000002',   // target: us
  '02 01', ME,                          // target link-layer address option
);

const ECHO_REPLY_V4 = hex(
  PEER, ME, '0800',
  '45 00 0024 0000 0000 40 01 0000',    // (ID and checksum masked) no DF, TTL 64, ICMP
  'c6120002 c6120001',
  '00 00 5c2f 1234 0007', '6162636465666768',
);

const ECHO_REPLY_V6 = hex(
  PEER, ME, '86dd',
  '60000000 0010 3a 40',
  'fd000000000000000000000000000002',
  'fd000000000000000000000000000001',
  '81 00 e0df 1234 0007', '6162636465666768',
);

// Frames the peer (02:00:00:00:0a:01, 198.18.0.1, fd00::1) sends.
const IN_ARP_REPLY = hex(ME, PEER, '0806', '0001 0800 06 04 0002', PEER, 'c6120001', ME, 'c6120002');
const IN_ARP_REQUEST = hex('ffffffffffff', PEER, '0806', '0001 0800 06 04 0001', PEER, 'c6120001', '000000000000', 'c6120002');
const IN_ECHO_V4 = hex(ME, PEER, '0800', '45 00 0024 0077 4000 40 01 ae3a', 'c6120001 c6120002', '08 00 542f 1234 0007', '6162636465666768');
const IN_ECHO_V6 = hex(ME, PEER, '86dd', '60000000 0010 3a 40', 'fd000000000000000000000000000001', 'fd000000000000000000000000000002', '80 00 e1df 1234 0007', '6162636465666768');
const IN_NA = hex(ME, PEER, '86dd', '60000000 0020 3a ff', 'fd000000000000000000000000000001', 'fd000000000000000000000000000002', '88 00 129c 60000000', 'fd000000000000000000000000000001', '02 01', PEER);
const IN_NS = hex('3333ff000002', PEER, '86dd', '60000000 0020 3a ff', 'fd000000000000000000000000000001', 'ff0200000000000000000001ff000002', '87 00 7397 00000000', 'fd000000000000000000000000000002', '01 01', PEER);

async function host(): Promise<LabHost> {
  return labHost({ IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'] }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1) });
}

test('vectors: at restart, a gratuitous ARP and one DAD solicitation per IPv6 address go down as one chain', async () => {
  const h = await host();
  const sent = h.lab.take();
  assert.deepEqual(sent.map((s) => Buffer.from(s.frame).toString('hex')), [GRATUITOUS_ARP, DAD_LINK_LOCAL, DAD_GLOBAL].map((f) => Buffer.from(f).toString('hex')));
  assert.equal(new Set(sent.map((s) => s.batch)).size, 1, 'one NdisSendNetBufferLists');
  // Packet filter and multicast list reached the adapter.
  assert.equal(h.lab.eth.packetFilter, 0x0b);
  const groups = h.lab.eth.multicast.map((m) => Buffer.from(m).toString('hex')).sort();
  assert.deepEqual(groups, ['01005e000001', '333300000001', '3333ff000002', '3333ff001a01']);
  await finishLab(h);
});

test('vectors: an echo request from an unknown neighbour → ARP request; the reply → echo reply', async () => {
  const h = await host();
  h.lab.take();
  h.lab.inject([IN_ECHO_V4]);
  await labPump(h, 0);
  assert.deepEqual(h.lab.take().map((s) => s.frame), [ARP_REQUEST]);
  h.lab.inject([IN_ARP_REPLY]);
  await labPump(h, 0);
  const out = h.lab.take();
  assert.equal(out.length, 1);
  assert.deepEqual(maskIpv4(out[0]!.frame), ECHO_REPLY_V4);
  // The peer is now cached: an ARP request from it is answered, and it is REACHABLE.
  h.lab.inject([IN_ARP_REQUEST]);
  await labPump(h, 0);
  assert.deepEqual(h.lab.take().map((s) => s.frame), [ARP_REPLY]);
  assert.deepEqual(h.ip.interface('eth0').describe()['neighbors'], ['198.18.0.1 02:00:00:00:0a:01 REACHABLE']);
  await finishLab(h);
});

test('vectors: IPv6 echo → neighbour solicitation; advertisement → echo reply; a solicitation for us → advertisement', async () => {
  const h = await host();
  await labPump(h, 1100); // DAD
  h.lab.take();
  h.lab.inject([IN_ECHO_V6]);
  await labPump(h, 0);
  assert.deepEqual(h.lab.take().map((s) => s.frame), [NEIGHBOR_SOLICITATION]);
  h.lab.inject([IN_NA]);
  await labPump(h, 0);
  assert.deepEqual(h.lab.take().map((s) => s.frame), [ECHO_REPLY_V6]);
  h.lab.inject([IN_NS]);
  await labPump(h, 0);
  assert.deepEqual(h.lab.take().map((s) => s.frame), [NEIGHBOR_ADVERTISEMENT]);
  await finishLab(h);
});

test('vectors: packets to a tentative IPv6 address are dropped until DAD passes', async () => {
  const h = await host();
  h.lab.take();
  h.lab.inject([IN_ECHO_V6]);
  await labPump(h, 0);
  assert.deepEqual(h.lab.take(), []);
  assert.equal(h.ip.stack.counters.ipv6.inTentative, 1);
  await finishLab(h);
});
