/**
 * tsndis.bridge over in-process virtual wires, on the manual clock with the verifier on:
 *
 *   S0 ─ w0 ─ p0 ┐
 *   S1 ─ w1 ─ p1 ├ bridge br0 (one runtime, tsndis.bridge bound to p0, p1, p2)
 *   S2 ─ w2 ─ p2 ┘
 *
 * The stations are raw-protocol hosts in promiscuous mode, so they see every frame the bridge puts on
 * their wire (a flooded unknown unicast too). Learning, flooding, forwarding, no hairpin, ageing, the
 * 802.1D reserved addresses, oversize frames, the flood limit bounding a loop, the counters in the stack
 * tree and, at the end, every pool full.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import type { ManualScheduler } from '../../src/core/time/scheduler.js';
import { virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { BridgeProtocol, type BridgePort } from '../../src/drivers/protocol/bridge/index.js';
import { NDIS_PACKET_TYPE_PROMISCUOUS, NDIS_RECEIVE_FLAGS_RESOURCES, type ConfigValue, type NetBufferList } from '../../src/ndis/index.js';
import { snapshotRuntime } from '../../src/inspect/snapshot.js';
import { BROADCAST, assertClean, frame, macOf, makeHost, settle, shutdownAll, uniqueWire, VirtualWire, type TestHost } from '../support/hosts.js';

interface TestBridge {
  rt: NdisRuntime & { scheduler: ManualScheduler };
  proto: BridgeProtocol;
  port(i: number): BridgePort;
}

/** A runtime whose adapters p0…pn (on `wires`) are the ports of bridge br0. */
async function makeBridge(wires: readonly string[], keywords: Record<string, ConfigValue> = {}, adapterKeywords: Record<string, ConfigValue>[] = []): Promise<TestBridge> {
  const rt = NdisRuntime.forTest({ name: 'br', verifier: { enabled: true } });
  rt.registerDriver(virtualWireMiniport);
  const proto = new BridgeProtocol();
  rt.registerDriver(proto.characteristics);
  for (let i = 0; i < wires.length; i++) {
    await rt.addAdapter({ name: `p${i}`, driver: 'tsndis.virtual-wire', keywords: { Wire: wires[i]!, NetworkAddress: `02-00-00-00-0b-${(i + 1).toString(16).padStart(2, '0')}`, ...adapterKeywords[i] } });
    await rt.bindProtocol(`p${i}`, 'tsndis.bridge', { Bridge: 'br0', ...keywords });
    await rt.startAdapter(`p${i}`);
  }
  return { rt, proto, port: (i) => rt.adapter(`p${i}`).bindings[0]!.instance as BridgePort };
}

function station(name: string, wire: string, mac: string, keywords: Record<string, ConfigValue> = {}): Promise<TestHost> {
  return makeHost({ name, wire, mac, keywords, rawOptions: { packetFilter: NDIS_PACKET_TYPE_PROMISCUOUS, receiveQueueDepth: 4096 } });
}

function drain(h: TestHost): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = h.raw.endpoint('eth0').tryReceive(); f !== null; f = h.raw.endpoint('eth0').tryReceive()) out.push(f);
  return out;
}

function send(h: TestHost, f: Uint8Array): void {
  assert.ok(h.raw.endpoint('eth0').send(f), `${h.adapter} could not send`);
}

async function three(keywords: Record<string, ConfigValue> = {}): Promise<{ br: TestBridge; s: TestHost[]; wires: string[]; done(): Promise<void> }> {
  const wires = [uniqueWire('br'), uniqueWire('br'), uniqueWire('br')];
  const br = await makeBridge(wires, keywords);
  const s = [await station('S0', wires[0]!, '02-00-00-00-00-10'), await station('S1', wires[1]!, '02-00-00-00-00-11'), await station('S2', wires[2]!, '02-00-00-00-00-12')];
  return {
    br,
    s,
    wires,
    async done() {
      await shutdownAll(...s);
      await br.rt.shutdown();
      for (const h of s) assertClean(h.rt);
      assertClean(br.rt);
      for (const w of wires) VirtualWire.release(w);
    },
  };
}

test('bridge: an unknown unicast is flooded, the reply is forwarded to the learned port only, then both ways are known', async () => {
  const { br, s, done } = await three();
  const [s0, s1, s2] = s as [TestHost, TestHost, TestHost];
  const toS1 = frame(macOf(s1), macOf(s0), 0x88b5, 100, 1);
  send(s0, toS1);
  await settle(6);
  assert.deepEqual(drain(s1), [toS1], 'S1 got the flooded frame, byte for byte');
  assert.deepEqual(drain(s2), [toS1], 'S2 got the flood too (its destination was unknown)');
  assert.deepEqual(drain(s0), [], 'nothing came back to the sender');
  assert.equal(br.port(0).counters.learned, 1);
  assert.equal(br.port(0).counters.flooded, 1);
  assert.equal(br.port(0).counters.floodCopies, 2);

  const reply = frame(macOf(s0), macOf(s1), 0x88b5, 200, 2);
  send(s1, reply);
  await settle(6);
  assert.deepEqual(drain(s0), [reply]);
  assert.deepEqual(drain(s2), [], 'a known destination is not flooded');
  assert.equal(br.port(1).counters.forwarded, 1);
  assert.equal(br.port(1).counters.learned, 1);

  const again = frame(macOf(s1), macOf(s0), 0x88b5, 1500 - 14 + 14, 3);
  send(s0, again);
  await settle(6);
  assert.deepEqual(drain(s1), [again]);
  assert.deepEqual(drain(s2), []);
  assert.equal(br.port(0).counters.forwarded, 1);
  assert.equal(br.port(1).counters.txFrames, 2, 'p1 sent the flood copy and the forwarded frame');
  assert.equal(br.proto.bridge('br0').fdb.size, 2);
  await done();
});

test('bridge: broadcast and multicast reach every other port once; 802.1D reserved addresses and group sources are not forwarded', async () => {
  const { br, s, done } = await three();
  const [s0, s1, s2] = s as [TestHost, TestHost, TestHost];
  const bcast = frame(BROADCAST, macOf(s0), 0x0806, 46, 4);
  const mcast = frame(new Uint8Array([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]), macOf(s0), 0x0800, 46, 5);
  send(s0, bcast);
  send(s0, mcast);
  await settle(6);
  for (const h of [s1, s2]) assert.deepEqual(drain(h), [bcast, mcast]);
  assert.deepEqual(drain(s0), []);
  const stp = frame(new Uint8Array([0x01, 0x80, 0xc2, 0x00, 0x00, 0x00]), macOf(s0), 0x0027, 46, 6);
  const pause = frame(new Uint8Array([0x01, 0x80, 0xc2, 0x00, 0x00, 0x01]), macOf(s0), 0x8808, 46, 7);
  const groupSource = frame(BROADCAST, new Uint8Array([0x03, 0, 0, 0, 0, 9]), 0x88b5, 46, 8);
  send(s0, stp);
  send(s0, pause);
  send(s0, groupSource);
  await settle(6);
  for (const h of [s1, s2]) assert.deepEqual(drain(h), []);
  const c = br.port(0).counters;
  assert.equal(c.droppedLinkLocal, 2);
  assert.equal(c.droppedBadSource, 1);
  assert.equal(c.flooded, 2);
  await done();
});

test('bridge: no hairpin — a frame for a station on the ingress segment is dropped, and a broadcast is not sent back where it came from', async () => {
  const wires = [uniqueWire('br'), uniqueWire('br')];
  const br = await makeBridge(wires);
  const a = await station('A', wires[0]!, '02-00-00-00-00-20');
  const b = await station('B', wires[0]!, '02-00-00-00-00-21');
  const far = await station('F', wires[1]!, '02-00-00-00-00-22');
  send(b, frame(BROADCAST, macOf(b), 0x88b5, 46, 1)); // the bridge learns B on p0
  await settle(6);
  assert.equal(drain(a).length, 1, 'A saw B’s broadcast once: from the wire, not again from the bridge');
  assert.equal(drain(far).length, 1);
  drain(b);
  const local = frame(macOf(b), macOf(a), 0x88b5, 64, 2);
  send(a, local);
  await settle(6);
  assert.deepEqual(drain(b), [local], 'B got it once, straight from its wire');
  assert.deepEqual(drain(far), [], 'not forwarded to the other segment');
  assert.equal(br.port(0).counters.droppedSameSegment, 1);
  assert.equal(br.port(0).counters.txFrames, 0, 'the bridge never sent on the ingress port');
  await shutdownAll(a, b, far);
  await br.rt.shutdown();
  for (const h of [a, b, far, br]) assertClean(h.rt);
  for (const w of wires) VirtualWire.release(w);
});

test('bridge: learned addresses age out on the runtime clock and are flooded to again', async () => {
  const { br, s, done } = await three({ AgeingTimeSeconds: 10 });
  const [s0, s1, s2] = s as [TestHost, TestHost, TestHost];
  send(s1, frame(BROADCAST, macOf(s1), 0x88b5, 46, 1));
  await settle(6);
  s.forEach(drain);
  const f = frame(macOf(s1), macOf(s0), 0x88b5, 46, 2);
  await br.rt.scheduler.advanceAsync(9_000);
  send(s0, f);
  await settle(6);
  assert.deepEqual(drain(s2), [], 'at 9 s S1 is still known');
  assert.equal(br.port(0).counters.forwarded, 1);
  // S0 was learned at 9 s; S1 at 0 s. At 10.5 s S1 has expired, S0 has not.
  await br.rt.scheduler.advanceAsync(1_500);
  send(s0, f);
  await settle(6);
  assert.deepEqual(drain(s2), [f], 'after the ageing time the destination is unknown again: flooded');
  assert.equal(br.proto.bridge('br0').counters.aged, 1, 'the sweep removed S1');
  assert.equal(br.proto.bridge('br0').fdb.size, 1);
  assert.deepEqual(drain(s1), [f, f]);
  await done();
});

test('bridge: a frame larger than the egress MTU is dropped at that port and counted', async () => {
  const wires = [uniqueWire('br'), uniqueWire('br'), uniqueWire('br')];
  const jumbo = { '*JumboPacket': 9014 };
  const br = await makeBridge(wires, {}, [jumbo, jumbo, {}]);
  const s0 = await station('S0', wires[0]!, '02-00-00-00-00-30', jumbo);
  const s1 = await station('S1', wires[1]!, '02-00-00-00-00-31', jumbo);
  const s2 = await station('S2', wires[2]!, '02-00-00-00-00-32');
  const big = frame(BROADCAST, macOf(s0), 0x88b5, 4000, 1);
  send(s0, big);
  await settle(6);
  assert.deepEqual(drain(s1), [big], 'a jumbo port takes it');
  assert.deepEqual(drain(s2), [], 'an MTU-1500 port does not');
  assert.equal(br.port(2).counters.droppedOversize, 1);
  await shutdownAll(s0, s1, s2);
  await br.rt.shutdown();
  for (const h of [s0, s1, s2, br]) assertClean(h.rt);
  for (const w of wires) VirtualWire.release(w);
});

test('bridge: a loop (two ports on one segment) circulates a broadcast only as far as the flood limit allows', async () => {
  const wire = uniqueWire('loop');
  const br = await makeBridge([wire, wire], { FloodLimit: 100 });
  const s = await station('S', wire, '02-00-00-00-00-40');
  send(s, frame(BROADCAST, macOf(s), 0x88b5, 46, 1));
  // Each trip round the loop is one DPC turn; without a bound this would never go quiet.
  await settle(200);
  const flooded = (): number => br.port(0).counters.flooded + br.port(1).counters.flooded;
  const limited = (): number => br.port(0).counters.droppedFloodLimit + br.port(1).counters.droppedFloodLimit;
  assert.equal(flooded(), 10, 'a tenth of a second’s worth of floods, then the bucket is empty');
  // Both ports hear S's broadcast, so two copies circulate (in opposite directions); each ends when it
  // finds the bucket empty.
  assert.equal(limited(), 2, 'each circulating copy ended at the empty bucket');
  assert.ok(br.port(0).counters.moved + br.port(1).counters.moved > 0, 'S’s address flapped between the ports');
  assert.equal(drain(s).length, 10, 'S saw each copy the bridge put on its wire');
  // A second of clock refills the bucket for the next frame, not for the dead loop.
  await br.rt.scheduler.advanceAsync(1_000);
  await settle(20);
  assert.equal(flooded(), 10);
  await s.rt.shutdown();
  await br.rt.shutdown();
  assertClean(s.rt);
  assertClean(br.rt);
  VirtualWire.release(wire);
});

test('bridge: the counters reach the stack tree, and unbinding a port forgets what it learned', async () => {
  const { br, s, done } = await three();
  const [s0, s1] = s as [TestHost, TestHost, TestHost];
  send(s0, frame(macOf(s1), macOf(s0), 0x88b5, 46, 1));
  send(s1, frame(macOf(s0), macOf(s1), 0x88b5, 46, 2));
  await settle(6);
  const snap = snapshotRuntime(br.rt);
  const p0 = snap.adapters.find((a) => a.shortName === 'p0')!.bindings.find((b) => b.protocol === 'tsndis.bridge')!;
  const inspect = p0.inspect as Record<string, unknown>;
  assert.equal(inspect['bridge'], 'br0');
  assert.equal(inspect['learned'], 1);
  assert.equal(inspect['flooded'], 1);
  assert.deepEqual(inspect['table'], { entries: 2, capacity: 4096, aged: 0, flushed: 0 });
  assert.ok(p0.packetFilterNames.includes('PROMISCUOUS'));
  const totals = br.proto.totals();
  assert.equal(totals.length, 1);
  assert.equal(totals[0]!.ports, 3);
  assert.equal(totals[0]!.forwarded, 1);
  assert.equal(totals[0]!.rxFrames, 2);
  await br.rt.unbindProtocol('p1', 'tsndis.bridge');
  assert.equal(br.proto.bridge('br0').fdb.size, 1, 'S1 (learned on p1) is forgotten');
  assert.equal(br.proto.bridge('br0').counters.flushed, 1);
  await done();
});

test("bridge: its drops reach the host's drop registry under named reasons (tsndis drops), per port, gone with the port", async () => {
  const { br, s, done } = await three();
  const [s0] = s as [TestHost, TestHost, TestHost];
  const port0 = br.port(0);
  const module = port0.ndis.name;
  const rows = (): Map<string, number> => new Map(br.rt.drops.rows().filter((r) => r.module === module).map((r) => [r.reason, r.count]));
  assert.deepEqual(rows(), new Map(), 'nothing dropped yet');

  // Three runts fed to the port as its adapter would indicate them (the wire's miniport drops runts itself).
  const pool = port0.ndis.allocateNetBufferListPool({ name: 'test-runts', capacity: 3, dataSize: 64 });
  let chain: NetBufferList | null = null;
  for (let i = 0; i < 3; i++) {
    const nbl = pool.allocate()!;
    nbl.firstNetBuffer!.dataLength = 10 + i;
    nbl.next = chain;
    chain = nbl;
  }
  port0.receiveNetBufferLists(chain!, 0, 3, NDIS_RECEIVE_FLAGS_RESOURCES);
  for (let nbl: NetBufferList | null = chain; nbl !== null; ) {
    const next: NetBufferList | null = nbl.next;
    nbl.next = null;
    pool.free(nbl);
    nbl = next;
  }
  port0.ndis.freeNetBufferListPool(pool);
  // Over the wire: two frames with a group source, one to an 802.1D reserved address (its source, S0, is
  // learned on p0 first), and one to S0 from another station on p0's segment (S0 had it already).
  send(s0, frame(BROADCAST, new Uint8Array([0x03, 0, 0, 0, 0, 9]), 0x88b5, 46, 1));
  send(s0, frame(BROADCAST, new Uint8Array([0x01, 0, 0, 0, 0, 9]), 0x88b5, 46, 2));
  send(s0, frame(new Uint8Array([0x01, 0x80, 0xc2, 0x00, 0x00, 0x00]), macOf(s0), 0x0027, 46, 3));
  send(s0, frame(macOf(s0), new Uint8Array([0x02, 0, 0, 0, 0, 0x20]), 0x88b5, 46, 4));
  await settle(6);
  assert.deepEqual(rows(), new Map([['malformedFrame', 3], ['bridgeBadSource', 2], ['bridgeLinkLocal', 1], ['bridgeSameSegment', 1]]));
  assert.equal(port0.counters.droppedMalformed, 3, 'the same counts as the port keeps');

  // The registry reads the port's counters while it is bound; an unbound port leaves the registry.
  await br.rt.unbindProtocol('p0', 'tsndis.bridge');
  assert.deepEqual(rows(), new Map());
  await done();
});
