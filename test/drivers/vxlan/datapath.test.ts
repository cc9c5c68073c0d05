/**
 * One tsndis VXLAN host against test VTEPs (plain UDP sockets on loopback): encapsulation byte for byte,
 * flooding versus learned unicast, the reply-port rule, ageing on the manual clock, every receive drop
 * reason with its counter and rate-limited log line, the packet filter, receive-pool exhaustion, OIDs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_STATUS_INVALID_LENGTH,
  NdisOidRequest,
  OID_802_3_CURRENT_ADDRESS,
  OID_GEN_MAXIMUM_TOTAL_SIZE,
  OID_GEN_RCV_OK,
  OID_GEN_XMIT_OK,
  packetFilterCodec,
  statusName,
} from '../../../src/ndis/index.js';
import { BROADCAST, assertClean, frame } from '../../support/hosts.js';
import { reversingFilter, type ReversingModule } from '../../support/reversing-filter.js';
import { PeerVtep, drain, freePorts, makeVxlanHost, until, vxlanDatagram, type VxlanHost } from './helpers.js';

const PEER1_MAC = Uint8Array.of(0x02, 0, 0, 0, 0xa1, 0x01);
const PEER2_MAC = Uint8Array.of(0x02, 0, 0, 0, 0xa1, 0x02);
const PEER3_MAC = Uint8Array.of(0x02, 0, 0, 0, 0xa1, 0x03);
const MULTICAST = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);

interface Fixture {
  h: VxlanHost;
  p1: PeerVtep;
  p2: PeerVtep;
  close(): Promise<void>;
}

async function fixture(keywords: Record<string, number | string> = {}): Promise<Fixture> {
  const p1 = await PeerVtep.open();
  const p2 = await PeerVtep.open();
  const [port] = await freePorts(1);
  const h = await makeVxlanHost({ localPort: port!, remotes: [p1.endpoint, p2.endpoint], keywords });
  return {
    h,
    p1,
    p2,
    async close() {
      await h.rt.shutdown();
      await p1.close();
      await p2.close();
      assertClean(h.rt);
    },
  };
}

/** Sends from a peer and waits until the host counted the datagram. */
async function inject(h: VxlanHost, from: PeerVtep, datagram: Uint8Array): Promise<void> {
  const before = h.vx.counters.rxDatagrams;
  await from.send(datagram, h.vx.localPort);
  assert.ok(await until(() => h.vx.counters.rxDatagrams > before), 'the host saw the datagram');
  await until(() => false, 2); // let the DPC run
}

test('vxlan: a sent frame leaves as [flags 0x08 | reserved | VNI | reserved | the frame], byte for byte, to every remote', async () => {
  const { h, p1, p2, close } = await fixture();
  const f = frame(BROADCAST, h.mac, 0x0800, 64, 9);
  assert.ok(h.ep.send(f));
  assert.ok(await until(() => p1.received.length === 1 && p2.received.length === 1));
  const expected = Uint8Array.from([0x08, 0, 0, 0, 0, 0, 42, 0, ...f]);
  for (const p of [p1, p2]) {
    const [d] = p.take();
    assert.deepEqual(d!.bytes, expected);
    assert.equal(d!.port, h.vx.localPort, 'datagrams leave from LocalPort');
  }
  await until(() => h.ep.sendsOutstanding === 0);
  assert.equal(h.ep.counters.sendCompleted, 1);
  assert.equal(h.vx.counters.txDatagrams, 2);
  assert.equal(h.vx.counters.txFlooded, 1);
  await close();
});

test('vxlan: broadcast, multicast and unknown unicast flood; a learned MAC is unicast to its endpoint only', async () => {
  const { h, p1, p2, close } = await fixture();
  const sendAndCount = async (dst: Uint8Array): Promise<[number, number]> => {
    assert.ok(h.ep.send(frame(dst, h.mac, 0x88b5, 46)));
    await until(() => h.ep.sendsOutstanding === 0);
    await until(() => false, 5);
    return [p1.take().length, p2.take().length];
  };
  assert.deepEqual(await sendAndCount(BROADCAST), [1, 1]);
  assert.deepEqual(await sendAndCount(MULTICAST), [1, 1]);
  assert.deepEqual(await sendAndCount(PEER1_MAC), [1, 1], 'unknown unicast floods');
  // PEER1_MAC shows up behind p1: learned.
  await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46)));
  assert.equal(h.vx.counters.fdbLearned, 1);
  assert.deepEqual(await sendAndCount(PEER1_MAC), [1, 0], 'learned unicast goes to p1 only');
  assert.deepEqual(await sendAndCount(BROADCAST), [1, 1], 'broadcast still floods');
  // The MAC moves behind p2.
  await inject(h, p2, vxlanDatagram(42, frame(BROADCAST, PEER1_MAC, 0x88b5, 46)));
  assert.equal(h.vx.counters.fdbMoved, 1);
  assert.deepEqual(await sendAndCount(PEER1_MAC), [0, 1]);
  const c = h.vx.counters;
  assert.equal(c.txUnicastLearned, 2);
  assert.equal(c.txFlooded, 4);
  assert.equal(drain(h.ep).length, 2, 'both injected frames were indicated');
  await close();
});

test('vxlan: learned endpoints get the configured port, not the datagram source port', async () => {
  const [port] = await freePorts(1);
  // A VTEP at 127.0.0.2 that is not a static remote, sending from an arbitrary (hashed-like) source port,
  // and listening on the VXLAN port (as a Linux vxlan device does).
  const listener = await PeerVtep.open('127.0.0.2', port!);
  const sender = await PeerVtep.open('127.0.0.2', 0);
  const h = await makeVxlanHost({ localPort: port! });
  await inject(h, sender, vxlanDatagram(42, frame(h.mac, PEER3_MAC, 0x88b5, 46)));
  assert.deepEqual(h.vx.learnedEndpoints().map((e) => [e.address, e.port]), [['127.0.0.2', port]]);
  assert.ok(h.ep.send(frame(PEER3_MAC, h.mac, 0x88b5, 46)));
  assert.ok(await until(() => listener.received.length === 1));
  assert.equal(sender.received.length, 0, 'nothing to the source port');
  assert.equal(h.vx.counters.txUnicastLearned, 1);
  // No static remotes: flooding has nowhere to go (counted, the send still completes).
  assert.ok(h.ep.send(frame(BROADCAST, h.mac, 0x88b5, 46)));
  await until(() => h.ep.sendsOutstanding === 0);
  assert.equal(h.vx.counters.txNoDestination, 1);
  assert.equal(h.ep.counters.sendCompleted, 2);
  await h.rt.shutdown();
  await listener.close();
  await sender.close();
  assertClean(h.rt);
});

test('vxlan: learned entries age out on the runtime clock (manual), and the sweep timer removes them', async () => {
  const { h, p1, p2, close } = await fixture({ LearningAgeSeconds: 60 });
  await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46)));
  const unicastOnly = async (): Promise<boolean> => {
    assert.ok(h.ep.send(frame(PEER1_MAC, h.mac, 0x88b5, 46)));
    await until(() => h.ep.sendsOutstanding === 0);
    await until(() => false, 5);
    return p1.take().length === 1 && p2.take().length === 0;
  };
  assert.ok(await unicastOnly());
  await h.rt.scheduler.advanceAsync(59_999);
  assert.ok(await unicastOnly(), 'still learned 1 ms before the age');
  assert.equal(h.vx.counters.fdbAged, 0);
  await h.rt.scheduler.advanceAsync(1);
  assert.ok(!(await unicastOnly()), 'flooded once the entry aged');
  // The sweep (every 30 s for a 60 s age) removes the entry from the table.
  await h.rt.scheduler.advanceAsync(30_000);
  assert.equal(h.vx.counters.fdbAged, 1);
  assert.deepEqual(h.vx.learnedEndpoints(), []);
  // Refreshing keeps an entry alive: frames every 40 s for 200 s.
  await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46)));
  for (let t = 0; t < 5; t++) {
    await h.rt.scheduler.advanceAsync(40_000);
    await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46)));
  }
  assert.ok(await unicastOnly());
  drain(h.ep);
  await close();
});

test('vxlan: LearningAgeSeconds 0 turns learning off (everything floods)', async () => {
  const { h, p1, p2, close } = await fixture({ LearningAgeSeconds: 0 });
  await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46)));
  assert.ok(h.ep.send(frame(PEER1_MAC, h.mac, 0x88b5, 46)));
  assert.ok(await until(() => p1.received.length === 1 && p2.received.length === 1));
  assert.equal(h.vx.counters.fdbLearned, 0);
  drain(h.ep);
  await close();
});

test('vxlan: bad datagrams are dropped with a named counter and a rate-limited log line, never a throw', async () => {
  const { h, p1, close } = await fixture();
  const good = frame(h.mac, PEER1_MAC, 0x88b5, 46);
  const cases: [string, Uint8Array, keyof typeof h.vx.counters, RegExp][] = [
    ['truncated', Uint8Array.of(0x08, 0, 0), 'rxTruncated', /3-byte datagram from 127\.0\.0\.1:\d+: shorter than the VXLAN header/],
    ['I flag clear', vxlanDatagram(42, good, 0x00), 'rxMissingIFlag', /VXLAN flags 0x00 without the I flag/],
    ['reserved flag bit', vxlanDatagram(42, good, 0x0c), 'rxReservedBits', /reserved VXLAN header bits set \(flags 0x0c\)/],
    ['reserved byte', (() => { const d = vxlanDatagram(42, good); d[7] = 1; return d; })(), 'rxReservedBits', /reserved VXLAN header bits/],
    ['another VNI', vxlanDatagram(43, good), 'rxUnknownVni', /VNI 43 is not ours \(42\)/],
    ['runt inner frame', vxlanDatagram(42, good.subarray(0, 13)), 'rxRunt', /inner frame of 13 bytes is shorter than an Ethernet header/],
    ['oversize inner frame', vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 1505)), 'rxOversize', /inner frame of 1519 bytes exceeds 1518/],
    ['own source MAC', vxlanDatagram(42, frame(BROADCAST, h.mac, 0x88b5, 46)), 'rxOwnSource', /inner source MAC is ours \(a loop\)/],
  ];
  for (const [what, d, counter, log] of cases) {
    const before = h.vx.counters[counter] as number;
    const logsBefore = h.logs.length;
    await inject(h, p1, d);
    assert.equal((h.vx.counters[counter] as number) - before, 1, what);
    if (what !== 'reserved byte') assert.match(h.logs.slice(logsBefore).join('\n'), log, what);
  }
  // A VLAN-tagged 1518-byte frame is not oversize.
  await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x8100, 1504)));
  assert.equal(h.vx.counters.rxAccepted, 1);
  assert.equal(h.vx.counters.fdbLearned, 1, 'only the good frame taught the table anything');
  // Rate limiting: more of the same reason within 10 s are counted, not logged; the next line says how many.
  const logsBefore = h.logs.length;
  for (let i = 0; i < 5; i++) await inject(h, p1, vxlanDatagram(43, good));
  assert.equal(h.logs.length, logsBefore);
  await h.rt.scheduler.advanceAsync(10_000);
  await inject(h, p1, vxlanDatagram(44, good));
  assert.match(h.logs.at(-1)!, /VNI 44 is not ours \(42\) \(5 more since the last message\)/);
  const c = h.vx.counters;
  assert.equal(c.rxUnknownVni, 7);
  assert.equal(h.vx.eth.stats.rcvErrors, c.rxTruncated + c.rxMissingIFlag + c.rxReservedBits + c.rxRunt + c.rxOversize);
  assert.equal(drain(h.ep).length, 1);
  await close();
});

test('vxlan: the packet filter decides what is indicated (directed to another MAC needs promiscuous)', async () => {
  const { h, p1, close } = await fixture();
  const other = frame(PEER2_MAC, PEER1_MAC, 0x88b5, 46);
  await inject(h, p1, vxlanDatagram(42, other));
  assert.equal(h.vx.counters.rxFiltered, 1);
  assert.equal(h.ep.queued, 0);
  assert.equal(await h.ep.oid(NdisOidRequest.set(packetFilterCodec, NDIS_PACKET_TYPE_PROMISCUOUS)), 0);
  await inject(h, p1, vxlanDatagram(42, other));
  assert.deepEqual(drain(h.ep), [other]);
  await close();
});

test('vxlan: an empty receive pool drops and counts (rcvNoBuffer); frames flow again once buffers return', async () => {
  const { h, p1, close } = await fixture({ '*ReceiveBuffers': 16 });
  // A burst faster than the DPC: 24 datagrams arrive before it runs (straight into the socket callback).
  for (let i = 0; i < 24; i++) h.vx.receiveDatagram(vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46, i)), '127.0.0.1', p1.port);
  const c = h.vx.counters;
  assert.equal(c.rxAccepted, 16);
  assert.equal(c.rxNoBuffer, 8);
  assert.equal(h.vx.eth.stats.rcvNoBuffer, 8);
  await until(() => h.ep.queued === 16);
  // Indicated with NDIS_RECEIVE_FLAGS_RESOURCES (the pool was empty): the raw protocol copied them.
  assert.equal(h.ep.counters.receiveCopied, 16);
  assert.equal(h.vx.rxPool!.inUse, 0);
  assert.equal(drain(h.ep).length, 16);
  await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46, 99)));
  assert.equal(drain(h.ep).length, 1);
  await close();
});

test('vxlan: NBLs lent with RESOURCES all come back to the pool when a filter relinks the chain', async () => {
  const { h, p1, close } = await fixture({ '*ReceiveBuffers': 16 });
  h.rt.registerDriver(reversingFilter);
  await h.rt.attachFilter('eth0', 'test.reversing');
  const module = h.rt.adapter('eth0').filters.find((f) => f.driver.name === 'test.reversing')!.instance as ReversingModule;
  // All 16 buffers taken before the DPC runs: one indication of 16 with NDIS_RECEIVE_FLAGS_RESOURCES.
  for (let i = 0; i < 16; i++) h.vx.receiveDatagram(vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46, i)), '127.0.0.1', p1.port);
  await until(() => h.ep.queued === 16);
  assert.equal(module.resourcesSeen, 16);
  assert.equal(h.vx.rxPool!.inUse, 0, 'every lent NBL went back, though the filter reversed the chain');
  assert.equal(drain(h.ep).length, 16);
  await close();
});

test('vxlan: sends of a wrong length complete with INVALID_LENGTH', async () => {
  const { h, p1, close } = await fixture();
  const nbl = h.ep.allocate(new Uint8Array(10))!;
  h.ep.sendChain(nbl, 1);
  await until(() => h.ep.sendsOutstanding === 0);
  assert.equal(h.ep.counters.failedByStatus.get(statusName(NDIS_STATUS_INVALID_LENGTH)), 1);
  assert.equal(h.vx.counters.txInvalidLength, 1);
  assert.equal(p1.received.length, 0);
  await close();
});

test('vxlan: OIDs are answered (address, sizes, statistics) and the link is connected once bound', async () => {
  const { h, p1, close } = await fixture();
  assert.equal(h.rt.adapter('eth0').mediaConnected, true);
  const addr = await h.rt.query('eth0', OID_802_3_CURRENT_ADDRESS);
  assert.deepEqual(new Uint8Array(addr.request.informationBuffer.slice(0, 6)), h.mac);
  const total = await h.rt.query('eth0', OID_GEN_MAXIMUM_TOTAL_SIZE);
  assert.equal(le(total.request), 1514n);
  assert.ok(h.ep.send(frame(BROADCAST, h.mac, 0x88b5, 46)));
  await inject(h, p1, vxlanDatagram(42, frame(h.mac, PEER1_MAC, 0x88b5, 46)));
  await until(() => h.ep.sendsOutstanding === 0);
  const xmit = await h.rt.query('eth0', OID_GEN_XMIT_OK, 8);
  const rcv = await h.rt.query('eth0', OID_GEN_RCV_OK, 8);
  assert.equal(le(xmit.request), 1n);
  assert.equal(le(rcv.request), 1n);
  drain(h.ep);
  await close();
});

/** The little-endian number an OID query wrote. */
function le(r: NdisOidRequest): bigint {
  let v = 0n;
  for (let i = r.bytesWritten - 1; i >= 0; i--) v = (v << 8n) | BigInt(r.informationBuffer[i]!);
  return v;
}
