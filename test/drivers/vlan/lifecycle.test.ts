/**
 * tsndis.vlan's control path over a test miniport that holds sends until told (deterministic clock):
 *   - pause of a VLAN miniport waits for its forwarded (derived) sends to complete below; sends while the
 *     lower binding is paused fail with NDIS_STATUS_PAUSED; restart carries traffic again;
 *   - a frame of a paused VLAN is a counted drop, never an indication on a paused virtual miniport;
 *   - offloads: the VLAN miniports advertise only what the lower adapter declares for tagged frames
 *     (encapsulation IEEE_802_3_P_AND_Q), as untagged 802.3, and re-indicate when the lower changes;
 *   - removing the lower adapter takes the VLAN miniports down with it: pools full, verifier silent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { vlanDriver, tagFrame, VlanUpperAdapter, type VlanLowerBinding } from '../../../src/drivers/intermediate/vlan/index.js';
import { RawProtocol, type RawBinding } from '../../../src/drivers/protocol/raw/index.js';
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q,
  NDIS_ENCAPSULATION_NOT_SUPPORTED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  type NdisOffload,
  type NetBufferList,
} from '../../../src/ndis/index.js';
import { assertClean, settle } from '../../support/hosts.js';
import { FULL_OFFLOAD } from '../../support/offload.js';
import { PEER_MAC, TEST_MAC, TestMiniportDriver, seqFrame, type TestMiniportAdapter } from '../../support/test-drivers.js';

/** FULL_OFFLOAD with IPv4 transmit checksums and LSOv2 IPv4 declared for tagged frames too. */
const TAGGED: NdisOffload = {
  ...FULL_OFFLOAD,
  checksum: { ...FULL_OFFLOAD.checksum, ipv4Transmit: { ...FULL_OFFLOAD.checksum.ipv4Transmit, encapsulation: NDIS_ENCAPSULATION_IEEE_802_3 | NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q } },
  lsoV2: { ...FULL_OFFLOAD.lsoV2, ipv4: { ...FULL_OFFLOAD.lsoV2.ipv4, encapsulation: NDIS_ENCAPSULATION_IEEE_802_3 | NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q } },
};

interface Mux {
  rt: NdisRuntime;
  adapter: TestMiniportAdapter;
  lower: VlanLowerBinding;
  ep: (name: string) => RawBinding;
  upper: (name: string) => VlanUpperAdapter;
}

async function mux(offload?: NdisOffload, upperClass?: typeof VlanUpperAdapter): Promise<Mux> {
  const rt = NdisRuntime.forTest({ name: 'T' });
  const mp = new TestMiniportDriver(offload === undefined ? {} : { offload: { hardware: offload } });
  rt.registerDriver(mp.characteristics);
  rt.registerDriver(upperClass === undefined ? vlanDriver : { ...vlanDriver, miniport: { ...vlanDriver.miniport, adapter: upperClass } });
  const raw = new RawProtocol();
  rt.registerDriver(raw.characteristics);
  const ids: Record<string, number> = { v10: 10, v20: 20 };
  rt.adapterPolicy = (name) => (name in ids ? { keywords: { VlanID: ids[name]! }, filters: [], protocols: [{ driver: 'tsndis.raw' }] } : undefined);
  await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
  await rt.bindProtocol('eth0', 'tsndis.vlan', { UpperBindings: ['v10', 'v20'] });
  await rt.startAdapter('eth0');
  await rt.whenIdle();
  await raw.whenBound('T/v10');
  await raw.whenBound('T/v20');
  const lower = rt.adapter('eth0').bindings.find((b) => b.intermediate === 'tsndis.vlan')!.instance as VlanLowerBinding;
  return { rt, adapter: mp.adapter('eth0'), lower, ep: (n) => raw.endpoint(`T/${n}`), upper: (n) => rt.adapter(n).instance as VlanUpperAdapter };
}

const out = (seq: number) => seqFrame(PEER_MAC, TEST_MAC, seq);
const inbound = (seq: number) => seqFrame(TEST_MAC, PEER_MAC, seq);

test('vlan lifecycle: a VLAN miniport pauses only once its derived sends are back; the lower binding paused fails sends with PAUSED', async () => {
  const m = await mux();
  m.adapter.sendMode = 'hold';
  assert.ok(m.ep('v10').send(out(1)));
  await settle();
  assert.equal(m.adapter.held.length, 1);
  assert.equal(m.upper('v10').sendsOutstanding, 1);
  let paused = false;
  const pause = m.rt.pauseStack('v10').then(() => (paused = true));
  await settle();
  assert.equal(paused, false, 'the pause waits for the tagged NBL below');
  m.adapter.completeSends();
  await pause;
  assert.equal(m.ep('v10').counters.sendCompleted, 1, 'the original completed with the derived NBL status');
  // A frame of the paused VLAN is dropped and counted, not indicated.
  m.adapter.injectReceive([tagFrame(inbound(2), 10, 0)]);
  await settle();
  assert.equal(m.upper('v10').counters.rxNotRunning, 1);
  await m.rt.restartStack('v10');
  m.adapter.injectReceive([tagFrame(inbound(3), 10, 0)]);
  await settle();
  assert.deepEqual(m.ep('v10').tryReceive(), inbound(3));

  // The lower binding pauses (its adapter's stack): VLAN sends fail with PAUSED until it restarts.
  m.adapter.sendMode = 'complete';
  await m.rt.pauseStack('eth0');
  assert.ok(m.ep('v20').send(out(4)));
  await settle();
  assert.equal(m.ep('v20').counters.failedByStatus.get('NDIS_STATUS_PAUSED'), 1);
  await m.rt.restartStack('eth0');
  assert.ok(m.ep('v20').send(out(5)));
  await settle();
  assert.equal(m.ep('v20').counters.sendCompleted, 1);
  // What reached the wire: the two tagged frames (VLAN 10, then VLAN 20), never the refused one.
  assert.deepEqual(m.adapter.sentFrames, [tagFrame(out(1), 10, 0), tagFrame(out(5), 20, 0)]);
  await m.rt.removeAdapter('eth0');
  await m.rt.whenIdle();
  assert.equal(m.rt.adapters.size, 0, 'the VLAN miniports went with their lower adapter');
  assertClean(m.rt);
});

test('vlan lifecycle: backfill and offloads — only what the lower declares for tagged frames, advertised as 802.3, re-indicated on change', async () => {
  const m = await mux(TAGGED);
  // Seed 003: the IM adds its own backfill (the 4 tag bytes) to what the adapter below asks for.
  assert.equal(m.rt.adapter('v10').general!.dataBackFillSize, m.rt.adapter('eth0').general!.dataBackFillSize + 4);
  const v = m.rt.adapter('v10').offload.current;
  assert.equal(v.checksum.ipv4Transmit.encapsulation, NDIS_ENCAPSULATION_IEEE_802_3);
  assert.equal(v.checksum.ipv4Transmit.tcpChecksum, true);
  assert.equal(v.lsoV2.ipv4.maxOffLoadSize, 64000);
  assert.equal(v.checksum.ipv6Transmit.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'IPv6 checksums are declared for untagged frames only');
  assert.equal(v.lsoV2.ipv6.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED);
  assert.equal(v.rsc.ipv4Enabled, false);
  // The lower adapter turns LSOv2 off: both VLAN miniports indicate the reduced configuration.
  const reduced: NdisOffload = { ...TAGGED, lsoV2: FULL_OFFLOAD.lsoV2 };
  m.adapter.ndis.indicateStatus({ statusCode: NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, statusBuffer: reduced });
  await settle();
  for (const n of ['v10', 'v20']) {
    const now = m.rt.adapter(n).offload.current;
    assert.equal(now.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, `${n}: LSO gone`);
    assert.equal(now.checksum.ipv4Transmit.tcpChecksum, true, `${n}: checksums stay`);
  }
  await m.rt.shutdown();
  assertClean(m.rt);
});

test('vlan lifecycle: an indication with NDIS_RECEIVE_FLAGS_RESOURCES goes up with it, and no derived NBL outlives it', async () => {
  const m = await mux();
  m.adapter.injectReceive([tagFrame(inbound(1), 10, 3), tagFrame(inbound(2), 20, 0), tagFrame(inbound(3), 10, 0)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
  await settle();
  assert.deepEqual(m.ep('v10').tryReceive(), inbound(1), 'copied by the protocol during the call');
  assert.deepEqual(m.ep('v10').tryReceive(), inbound(3));
  assert.deepEqual(m.ep('v20').tryReceive(), inbound(2));
  assert.equal(m.rt.verifier.of('DerivedNblLeak').length, 0);
  await m.rt.shutdown();
  assertClean(m.rt);
});

test('vlan lifecycle: the verifier names a VLAN miniport that completes a send while its derived NBL is below', async () => {
  class CompletesEarly extends VlanUpperAdapter {
    override sendNetBufferLists(nbls: NetBufferList, port: number, flags: number): void {
      super.sendNetBufferLists(nbls, port, flags);
      this.ndis.sendNetBufferListsComplete(nbls, 0);
    }
  }
  const m = await mux(undefined, CompletesEarly);
  m.adapter.sendMode = 'hold';
  assert.ok(m.ep('v10').send(out(1)));
  await settle();
  const v = m.rt.verifier.of('ImSendCompletedBeforeLower');
  assert.equal(v.length, 1);
  assert.equal(v[0]!.module, 'T/v10');
  assert.match(v[0]!.message, /1 derived NBL\(s\) of it are alive/);
  assert.equal(m.ep('v10').counters.sendCompleted, 0);
  m.adapter.completeSends();
  await settle();
  assert.equal(m.ep('v10').counters.sendCompleted, 1, 'completed once, when the derived NBL came back');
  await m.rt.shutdown();
  assertClean(m.rt, ['ImSendCompletedBeforeLower']);
});

test('vlan fuzz: any received frame lands in exactly one counter, untagged frames of VLAN 10/20 reach only their protocol, nothing throws', async () => {
  const m = await mux();
  const tpid = fc.constantFrom(0x8100, 0x88a8, 0x0800, 0x86dd, 0x0806);
  const frameArb = fc.record({
    body: fc.uint8Array({ minLength: 1, maxLength: 90 }),
    outer: tpid,
    inner: tpid,
    vlan: fc.constantFrom(0, 10, 20, 30, 4095),
    prio: fc.integer({ min: 0, max: 7 }),
  });
  let reached = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 8 }), async (frames) => {
      const bytes = frames.map(({ body, outer, inner, vlan, prio }) => {
        const f = Uint8Array.from(body);
        f.set(TEST_MAC.subarray(0, Math.min(6, f.length)), 0); // to us, so the packet filter passes it
        const put = (at: number, v: number): void => {
          if (f.length > at + 1) [f[at], f[at + 1]] = [v >> 8, v & 0xff];
        };
        put(12, outer);
        put(14, (prio << 13) | vlan);
        put(16, inner);
        return f;
      });
      const c = m.lower.counters;
      const count = (): number => c.rxUnknownVlan + c.rxUntagged + c.rxDoubleTagged + c.rxTruncated + c.rxResources + m.upper('v10').counters.rxFrames + m.upper('v20').counters.rxFrames;
      const before = { frames: c.rxFrames, counted: count() };
      m.adapter.injectReceive(bytes);
      await settle();
      let up = 0;
      for (const n of ['v10', 'v20']) for (let f = m.ep(n).tryReceive(); f !== null; f = m.ep(n).tryReceive()) up++;
      const got = c.rxFrames - before.frames;
      reached += got;
      assert.equal(count() - before.counted, got, 'each frame the MUX received is in exactly one counter');
      const expectUp = bytes.filter((f) => f.length > 18 && (f[12]! << 8 | f[13]!) === 0x8100 && [0x8100, 0x88a8].indexOf(f[16]! << 8 | f[17]!) < 0 && [10, 20].includes((f[14]! << 8 | f[15]!) & 0xfff)).length;
      assert.equal(up, expectUp, 'exactly the well-formed VLAN 10/20 frames reached a protocol');
    }),
    { numRuns: 60 },
  );
  assert.ok(reached > 100, 'frames reached the MUX');
  assert.deepEqual(m.rt.verifier.violations, []);
  await m.rt.shutdown();
  assertClean(m.rt);
});
