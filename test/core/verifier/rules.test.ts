/**
 * One test per verifier rule: a driver that is wrong in exactly one way triggers exactly that rule
 * (no other violation), and the stack stays consistent (every pool full after shutdown).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VERIFIER_RULES, type VerifierRule } from '../../../src/core/verifier/rules.js';
import {
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_STATE,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisOidRequest,
  NetEventPause,
  NetEventPortActivation,
  OID_GEN_VENDOR_ID,
  allocateCloneNetBufferList,
  freeCloneNetBufferList,
  type NdisStatus,
  type NetBufferList,
  type NetPnPEvent,
} from '../../../src/ndis/index.js';
import { applyOffloadParameters } from '../../../src/ndis/offload-config.js';
import { NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED, NDIS_OFFLOAD_PARAMETERS_NO_CHANGES } from '../../../src/ndis/offload.js';
import { NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4, checksumTx, lsoV2Transmit } from '../../../src/ndis/nbl-info-bits.js';
import { assertClean, settle } from '../../support/hosts.js';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { ImLowerBinding, ImUpperAdapter, imPassThroughDriver } from '../../../src/drivers/intermediate/passthrough/index.js';
import { RawProtocol, type RawBinding } from '../../../src/drivers/protocol/raw/index.js';
import type { NetBufferListPool, NetBufferPool } from '../../../src/ndis/buffers/pools.js';
import { FULL_OFFLOAD } from '../../support/offload.js';
import { PEER_MAC, TEST_MAC, TestBinding, TestFilterModule, TestMiniportAdapter, TestMiniportDriver, chain, nblArray, seqFrame } from '../../support/test-drivers.js';
import { testStack, type StackSpec, type TestStack } from '../../support/test-stack.js';
import { MpTestDriver, drive, flowFrame, laneEdge, simulatedHost } from '../../support/processors.js';

const MP = 'T/eth0';
const FILTER = 'T/eth0/test.filter0';
const BINDING = 'T/eth0<-test.protocol0';

/** The rule fired at least once, for `module`, as a typed TsndisError. */
function expectRule(rt: NdisRuntime, rule: VerifierRule, module: string): void {
  const vs = rt.verifier.of(rule);
  assert.ok(vs.length >= 1, `${rule} was not reported; got ${rt.verifier.violations.map((v) => v.message).join(' | ') || 'nothing'}`);
  const v = vs[0]!;
  assert.equal(v.rule, rule);
  assert.equal(v.module, module);
  assert.equal(v.code, 'TSNDIS_VERIFIER_VIOLATION');
  assert.ok(v instanceof Error);
}

const frameOut = (seq: number) => seqFrame(PEER_MAC, TEST_MAC, seq);
const frameIn = (seq: number) => seqFrame(TEST_MAC, PEER_MAC, seq);
const stack = (spec: StackSpec = {}) => testStack({ filters: [{}], protocols: [{}], ...spec });

async function finish(s: TestStack, rule: VerifierRule, module: string): Promise<void> {
  expectRule(s.rt, rule, module);
  await s.finish([rule]);
}

/**
 * An intermediate-driver stack: the test miniport (eth0) below, the pass-through IM over it with its
 * virtual miniport veth0 (upper and/or lower edge replaced by a subclass wrong in one way), the raw
 * protocol on veth0.
 */
async function imStack(upper?: typeof ImUpperAdapter, lower?: typeof ImLowerBinding): Promise<{ rt: NdisRuntime; adapter: TestMiniportAdapter; raw: RawBinding }> {
  const rt = NdisRuntime.forTest({ name: 'T' });
  const mp = new TestMiniportDriver();
  rt.registerDriver(mp.characteristics);
  rt.registerDriver({
    ...imPassThroughDriver,
    name: 'test.im',
    miniport: { ...imPassThroughDriver.miniport, adapter: upper ?? ImUpperAdapter },
    protocol: { ...imPassThroughDriver.protocol, binding: lower ?? ImLowerBinding },
  });
  const raw = new RawProtocol();
  rt.registerDriver(raw.characteristics);
  rt.adapterPolicy = (name) => (name === 'veth0' ? { filters: [], protocols: [{ driver: 'tsndis.raw' }] } : undefined);
  await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
  await rt.bindProtocol('eth0', 'test.im', { UpperBindings: ['veth0'] });
  await rt.startAdapter('eth0');
  await rt.whenIdle();
  return { rt, adapter: mp.adapter('eth0'), raw: await raw.whenBound('T/veth0') };
}

const cases: { readonly [R in VerifierRule]: () => Promise<void> } = {
  async NdisOidComplete() {
    class CompletesWithPending extends TestMiniportAdapter {
      override oidRequest(r: NdisOidRequest): NdisStatus {
        if (r.oid !== OID_GEN_VENDOR_ID) return super.oidRequest(r);
        setImmediate(() => this.ndis.oidRequestComplete(r, NDIS_STATUS_PENDING));
        return NDIS_STATUS_PENDING;
      }
    }
    const s = await stack({ miniport: { adapterClass: CompletesWithPending } });
    assert.equal(await s.binding().oid(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4)), NDIS_STATUS_FAILURE);
    await finish(s, 'NdisOidComplete', MP);
  },

  async NdisOidDoubleComplete() {
    class CompletesTwice extends TestMiniportAdapter {
      override oidRequest(r: NdisOidRequest): NdisStatus {
        if (r.oid !== OID_GEN_VENDOR_ID) return super.oidRequest(r);
        setImmediate(() => {
          this.ndis.oidRequestComplete(r, NDIS_STATUS_SUCCESS);
          this.ndis.oidRequestComplete(r, NDIS_STATUS_SUCCESS);
        });
        return NDIS_STATUS_PENDING;
      }
    }
    const s = await stack({ miniport: { adapterClass: CompletesTwice } });
    assert.equal(await s.binding().oid(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4)), NDIS_STATUS_SUCCESS);
    await settle();
    await finish(s, 'NdisOidDoubleComplete', MP);
  },

  async NdisOidDoubleRequest() {
    const s = await stack({ filters: [] });
    s.adapter.oidMode = 'pend';
    const r = NdisOidRequest.query(OID_GEN_VENDOR_ID, 4);
    const first = s.binding().oid(r);
    assert.equal(s.binding().ndis.oidRequest(r), NDIS_STATUS_FAILURE, 'resubmitting a pending request is refused');
    await settle();
    s.adapter.completeOid();
    assert.equal(await first, NDIS_STATUS_SUCCESS);
    await finish(s, 'NdisOidDoubleRequest', BINDING);
  },

  async DoubleComplete() {
    class PauseCompletesTwice extends TestMiniportAdapter {
      override pause(): NdisStatus {
        setImmediate(() => {
          this.ndis.pauseComplete();
          this.ndis.pauseComplete();
        });
        return NDIS_STATUS_PENDING;
      }
    }
    const s = await stack({ miniport: { adapterClass: PauseCompletesTwice } });
    await s.rt.pauseStack('eth0');
    assert.equal(s.mb.state, 'Paused');
    await finish(s, 'DoubleComplete', MP);
  },

  async NdisTimedOidComplete() {
    const s = await stack();
    s.adapter.oidMode = 'pend';
    const done = s.binding().oid(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4));
    await s.rt.scheduler.advanceAsync(11_999);
    assert.equal(s.rt.verifier.of('NdisTimedOidComplete').length, 0, 'not before 12 s');
    await s.rt.scheduler.advanceAsync(2);
    expectRule(s.rt, 'NdisTimedOidComplete', MP);
    s.adapter.completeOid();
    assert.equal(await done, NDIS_STATUS_SUCCESS);
    await finish(s, 'NdisTimedOidComplete', MP);
  },

  async NdisTimedDataSend() {
    // Holds the first send for ever, completes every other one: sends keep completing (no hang),
    // but one NBL is older than 30 s.
    class HoldsFirst extends TestMiniportAdapter {
      override sendNetBufferLists(nbls: NetBufferList, port: number, flags: number): void {
        this.sendMode = this.sentNbls.length === 0 ? 'hold' : 'complete';
        super.sendNetBufferLists(nbls, port, flags);
      }
    }
    const s = await stack({ miniport: { adapterClass: HoldsFirst } });
    for (let t = 0; t < 7; t++) {
      s.binding().send([frameOut(t)]);
      await s.rt.scheduler.advanceAsync(5_000);
    }
    expectRule(s.rt, 'NdisTimedDataSend', MP);
    assert.equal(s.rt.verifier.of('NdisTimedDataHang').length, 0);
    s.adapter.completeSends();
    await finish(s, 'NdisTimedDataSend', MP);
  },

  async NdisTimedDataHang() {
    const s = await stack();
    s.adapter.sendMode = 'hold';
    s.binding().send([frameOut(1)]);
    await s.rt.scheduler.advanceAsync(21_000);
    assert.equal(s.rt.verifier.of('NdisTimedDataHang').length, 0);
    await s.rt.scheduler.advanceAsync(2_000);
    expectRule(s.rt, 'NdisTimedDataHang', MP);
    s.adapter.completeSends();
    await finish(s, 'NdisTimedDataHang', MP);
  },

  async NdisFilterTimedPauseComplete() {
    const s = await stack();
    s.module().pauseMode = 'pend';
    const pause = s.rt.pauseStack('eth0');
    await s.rt.scheduler.advanceAsync(10_001);
    expectRule(s.rt, 'NdisFilterTimedPauseComplete', FILTER);
    s.module().completePause();
    await pause;
    await finish(s, 'NdisFilterTimedPauseComplete', FILTER);
  },

  async NdisFilterTimedDataSend() {
    const s = await stack();
    s.module().holdSends = true;
    s.binding().send([frameOut(1)]);
    await s.rt.scheduler.advanceAsync(29_000);
    assert.equal(s.rt.verifier.of('NdisFilterTimedDataSend').length, 0);
    await s.rt.scheduler.advanceAsync(2_000);
    expectRule(s.rt, 'NdisFilterTimedDataSend', FILTER);
    s.module().releaseSends();
    await finish(s, 'NdisFilterTimedDataSend', FILTER);
  },

  async NdisFilterTimedDataReceive() {
    const s = await stack();
    s.module().holdReceives = true;
    s.adapter.injectReceive([frameIn(1)]);
    await s.rt.scheduler.advanceAsync(29_000);
    assert.equal(s.rt.verifier.of('NdisFilterTimedDataReceive').length, 0);
    await s.rt.scheduler.advanceAsync(2_000);
    expectRule(s.rt, 'NdisFilterTimedDataReceive', FILTER);
    s.module().releaseReceives();
    assert.equal(s.binding().received.length, 1);
    await finish(s, 'NdisFilterTimedDataReceive', FILTER);
  },

  async NdisMNetPnPEventInOIDRequest() {
    const event: NetPnPEvent = { netEvent: NetEventPortActivation, portNumber: 0, buffer: null };
    class PnPInOid extends TestMiniportAdapter {
      override oidRequest(r: NdisOidRequest): NdisStatus {
        if (r.oid === OID_GEN_VENDOR_ID) this.ndis.netPnPEvent(event);
        return super.oidRequest(r);
      }
    }
    const s = await stack({ miniport: { adapterClass: PnPInOid } });
    s.adapter.ndis.netPnPEvent(event); // outside OID handling: fine
    assert.equal(s.rt.verifier.total, 0);
    assert.deepEqual(s.binding().pnpEvents.filter((e) => e === NetEventPortActivation).length, 1);
    assert.equal(await s.binding().oid(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4)), NDIS_STATUS_SUCCESS);
    await finish(s, 'NdisMNetPnPEventInOIDRequest', MP);
  },

  async NblDoubleComplete() {
    class CompletesTwice extends TestMiniportAdapter {
      override sendNetBufferLists(nbls: NetBufferList): void {
        const list = nblArray(nbls);
        for (const n of list) n.status = NDIS_STATUS_SUCCESS;
        this.ndis.sendNetBufferListsComplete(nbls, 0);
        for (const n of list) n.next = null;
        this.ndis.sendNetBufferListsComplete(list[0]!, 0);
      }
    }
    const s = await stack({ miniport: { adapterClass: CompletesTwice } });
    s.binding().send([frameOut(1), frameOut(2)]);
    assert.equal(s.binding().completions.length, 2, 'the second completion never reached the protocol');
    await finish(s, 'NblDoubleComplete', MP);
  },

  async NblNotOwned() {
    // Binding 1 returns an NBL that only binding 0 was given.
    const s = await stack({ protocols: [{ packetFilter: NDIS_PACKET_TYPE_DIRECTED }, { packetFilter: NDIS_PACKET_TYPE_BROADCAST }] });
    s.binding(0).holdReceives = true;
    const [nbl] = s.adapter.injectReceive([frameIn(1)]);
    assert.equal(s.binding(1).received.length, 0);
    s.binding(1).ndis.returnNetBufferLists(nbl!, 0);
    assert.equal(s.adapter.indicated, 1, 'the stray return did not reach the miniport');
    s.binding(0).returnHeld();
    assert.equal(s.adapter.indicated, 0);
    await finish(s, 'NblNotOwned', 'T/eth0<-test.protocol1');
  },

  async NblOffloadNotEnabled() {
    // A protocol that asks for LSOv2 because the hardware can do it, without looking at the current
    // configuration (where the adapter has LSOv2 for IPv4 switched off).
    const current = applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED });
    const s = await stack({ miniport: { offload: { hardware: FULL_OFFLOAD, current } } });
    const b = s.binding();
    assert.equal(b.bindParameters?.defaultOffloadConfiguration.lsoV2.ipv4.encapsulation, 0, 'the binding was told');
    const [ok, wrong] = b.allocate([frameOut(1), frameOut(2)]);
    ok!.info.tcpIpChecksum = checksumTx({ isIPv4: true, tcpChecksum: true, tcpHeaderOffset: 34 }); // enabled: fine
    wrong!.info.tcpLargeSend = lsoV2Transmit({ mss: 1460, tcpHeaderOffset: 34, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
    ok!.next = wrong!;
    b.sendsOutstanding += 2;
    b.ndis.sendNetBufferLists(ok!, 0, 0);
    assert.equal(b.completions.length, 2);
    assert.equal(s.rt.verifier.of('NblOffloadNotEnabled').length, 1, 'only the LSO NBL');
    assert.match(s.rt.verifier.of('NblOffloadNotEnabled')[0]!.detail, /LSOv2 \(IPv4\) is not enabled/);
    await finish(s, 'NblOffloadNotEnabled', MP);
  },

  async NblResourcesReturned() {
    class ReturnsResources extends TestBinding {
      override receiveNetBufferLists(nbls: NetBufferList, port: number, count: number, flags: number): void {
        super.receiveNetBufferLists(nbls, port, count, flags);
        if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) this.ndis.returnNetBufferLists(nbls, 0);
      }
    }
    const s = await stack({ protocols: [{ bindingClass: ReturnsResources }] });
    s.adapter.injectReceive([frameIn(1), frameIn(2)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
    assert.equal(s.binding().received.length, 2);
    await finish(s, 'NblResourcesReturned', BINDING);
  },

  async NblOwnReturnedUp() {
    // Completes everything upwards, its own NBLs included, then frees its own.
    class PassesOwnUp extends TestFilterModule {
      override sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
        const own = nblArray(nbls).filter((n) => n.sourceHandle === this.ndis);
        this.ndis.sendNetBufferListsComplete(nbls, flags);
        for (const n of own) {
          this.ownSendsOutstanding--;
          n.home.free(n);
        }
      }
    }
    const s = await stack({ filters: [{ moduleClass: PassesOwnUp }] });
    s.module().originateSend([frameOut(1)]);
    s.binding().send([frameOut(2)]);
    assert.equal(s.binding().completions.length, 1, 'the protocol only got its own NBL');
    await finish(s, 'NblOwnReturnedUp', FILTER);
  },

  async NblChildrenOutstanding() {
    const s = await stack();
    const b = s.binding();
    const nblPool = b.ndis.allocateNetBufferListPool({ capacity: 2, allocateNetBuffer: false });
    const nbPool = b.ndis.allocateNetBufferPool({ capacity: 2 });
    const [parent] = b.allocate([frameOut(1)]);
    const clone = allocateCloneNetBufferList(parent!, nblPool, nbPool)!;
    assert.equal(parent!.home.free(parent!), false, 'freeing a parent with a live clone is refused');
    assert.ok(freeCloneNetBufferList(clone));
    assert.ok(parent!.home.free(parent!));
    b.ndis.freeNetBufferListPool(nblPool);
    b.ndis.freeNetBufferPool(nbPool);
    await finish(s, 'NblChildrenOutstanding', BINDING);
  },

  async NblBadFree() {
    class FreesTwice extends TestBinding {
      override sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
        const list = nblArray(nbls);
        super.sendNetBufferListsComplete(nbls, flags);
        for (const n of list) n.home.free(n);
      }
    }
    const s = await stack({ protocols: [{ bindingClass: FreesTwice }] });
    s.binding().send([frameOut(1)]);
    await finish(s, 'NblBadFree', BINDING);
  },

  async NblSourceHandle() {
    const s = await stack();
    const b = s.binding();
    const [nbl] = b.allocate([frameOut(1)]);
    nbl!.sourceHandle = {}; // not this binding's handle
    b.sendsOutstanding++;
    b.ndis.sendNetBufferLists(nbl!, 0, 0);
    assert.equal(b.completions.length, 1, 'NDIS still routed the completion back to the sender');
    await finish(s, 'NblSourceHandle', BINDING);
  },

  async NblReceiveCount() {
    const s = await stack();
    s.adapter.injectReceive([frameIn(1), frameIn(2)], { count: 3 });
    assert.equal(s.binding().received.length, 2);
    await finish(s, 'NblReceiveCount', MP);
  },

  async SendWhilePaused() {
    const s = await stack();
    await s.rt.pauseStack('eth0');
    s.binding().send([frameOut(1)]);
    assert.deepEqual(s.binding().completions.map((c) => c.status), [NDIS_STATUS_PAUSED]);
    assert.equal(s.adapter.sentNbls.length, 0);
    await finish(s, 'SendWhilePaused', BINDING);
  },

  async PrematurePauseComplete() {
    class PausesAtOnce extends TestBinding {
      override netPnPEvent(event: NetPnPEvent): NdisStatus {
        if (event.netEvent === NetEventPause) {
          this.running = false;
          return NDIS_STATUS_SUCCESS; // although a send is still out
        }
        return super.netPnPEvent(event);
      }
    }
    const s = await stack({ protocols: [{ bindingClass: PausesAtOnce }] });
    s.adapter.sendMode = 'hold';
    s.binding().send([frameOut(1)]);
    const pause = s.rt.pauseStack('eth0');
    await settle();
    expectRule(s.rt, 'PrematurePauseComplete', BINDING);
    assert.equal(s.mb.state, 'Pausing', 'the miniport still completes what it holds');
    s.adapter.completeSends();
    await pause;
    assert.equal(s.binding().completions.length, 1);
    await finish(s, 'PrematurePauseComplete', BINDING);
  },

  async IllegalStateTransition() {
    const s = await stack();
    assert.equal(s.binding().ndis.closeAdapter(), NDIS_STATUS_INVALID_STATE, 'NdisCloseAdapterEx while Running');
    s.binding().send([frameOut(1)]);
    assert.equal(s.binding().completions.length, 1, 'the binding still works');
    await finish(s, 'IllegalStateTransition', BINDING);
  },

  async CompletionWithoutPending() {
    class CompletesAndReturns extends TestMiniportAdapter {
      override pause(): NdisStatus {
        this.ndis.pauseComplete();
        return NDIS_STATUS_SUCCESS;
      }
    }
    const s = await stack({ miniport: { adapterClass: CompletesAndReturns } });
    await s.rt.pauseStack('eth0');
    assert.equal(s.mb.state, 'Paused');
    await finish(s, 'CompletionWithoutPending', MP);
  },

  async TeardownLeak() {
    class Leaks extends TestBinding {
      override unbindAdapter(params: Parameters<TestBinding['unbindAdapter']>[0]): NdisStatus {
        this.allocate([frameOut(9)]); // allocated and forgotten
        return super.unbindAdapter(params);
      }
    }
    const s = await stack({ protocols: [{ bindingClass: Leaks }] });
    await s.rt.unbindProtocol('eth0', 'test.protocol0');
    assert.equal(s.mb.bindings.length, 0);
    assert.equal(s.rt.pools.size > 0 && [...s.rt.pools].every((p) => p.inUse === 0), true, 'the leaked NBL was reclaimed');
    await finish(s, 'TeardownLeak', BINDING);
  },

  async HandlerException() {
    // Holds sends and receives, then throws: it is bypassed at once, what it held is given back, and it
    // is detached.
    class Throws extends TestFilterModule {
      boom = false;
      override sendNetBufferLists(nbls: NetBufferList, port: number, flags: number): void {
        super.sendNetBufferLists(nbls, port, flags);
        if (this.boom) throw new Error('filter bug');
      }
    }
    const s = await stack({ filters: [{ moduleClass: Throws }] });
    const m = s.module() as Throws;
    m.holdSends = true;
    m.holdReceives = true;
    s.binding().send([frameOut(1), frameOut(2)]);
    s.adapter.injectReceive([frameIn(3), frameIn(4)]);
    assert.equal(s.adapter.indicated, 2);
    m.boom = true;
    s.binding().send([frameOut(5)]);
    expectRule(s.rt, 'HandlerException', FILTER);
    const b = s.binding();
    assert.deepEqual(b.completions.map((c) => c.status), [NDIS_STATUS_FAILURE, NDIS_STATUS_FAILURE, NDIS_STATUS_FAILURE], 'held sends came back failed');
    assert.equal(s.adapter.indicated, 0, 'held receives went back to the miniport');
    // Bypassed: traffic flows without it.
    m.sendsSeen = 0;
    b.send([frameOut(6)]);
    assert.equal(m.sendsSeen, 0);
    assert.equal(b.completions.at(-1)!.status, NDIS_STATUS_SUCCESS);
    await s.rt.whenIdle();
    assert.equal(s.mb.filters.length, 0, 'torn down');
    assert.equal(s.mb.state, 'Running');
    await finish(s, 'HandlerException', FILTER);
  },

  async NblInfoNotTransferable() {
    // A pointer-valued info slot cannot cross to another processor: the shell has it cleared.
    const { rt, set } = simulatedHost({ count: 2, seed: 1 });
    const { source, target } = laneEdge(rt, 'receive', 1, 0);
    const [nbl] = source.build([flowFrame(1, 1, 60)]);
    nbl!.info.wfp = { filter: 'object' };
    nbl!.info.hashValue = 0x12345678;
    source.offer([nbl!]);
    await set.run();
    assert.equal(target.seen.length, 1);
    assert.equal(target.seen[0]!.hashValue, 0x12345678, 'numeric slots cross');
    assert.equal(source.back.length, 1, 'the original came home');
    expectRule(rt, 'NblInfoNotTransferable', 'H/receive1to0@1');
    assert.deepEqual([...rt.verifier.counts.keys()], ['NblInfoNotTransferable']);
    assert.ok(rt.poolsFull());
    await rt.shutdown();
  },

  async ReplicaControlCall() {
    // The replica on processor 1 indicates a status: only the primary on processor 0 may.
    const { rt, set } = simulatedHost({ count: 2, seed: 2 });
    const mp = new MpTestDriver();
    rt.registerDriver(mp.characteristics);
    await drive(set, rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name }));
    mp.queues[1]!.ndis.indicateStatus({ statusCode: NDIS_STATUS_FAILURE, statusBuffer: null });
    expectRule(rt, 'ReplicaControlCall', 'H/eth0@1');
    assert.deepEqual([...rt.verifier.counts.keys()], ['ReplicaControlCall']);
    await drive(set, rt.shutdown());
    assert.ok(rt.poolsFull());
  },

  async ImSendCompletedBeforeLower() {
    // Forwards each send down as the same NBL, then completes it upward at once instead of waiting.
    class CompletesEarly extends ImUpperAdapter {
      override sendNetBufferLists(nbls: NetBufferList, port: number, flags: number): void {
        const list = nblArray(nbls);
        super.sendNetBufferLists(nbls, port, flags);
        this.ndis.sendNetBufferListsComplete(chain(list)!, 0);
      }
    }
    const { rt, adapter, raw } = await imStack(CompletesEarly);
    adapter.sendMode = 'hold';
    assert.ok(raw.send(frameOut(1)));
    expectRule(rt, 'ImSendCompletedBeforeLower', 'T/veth0');
    assert.match(rt.verifier.of('ImSendCompletedBeforeLower')[0]!.message, /still below, held by T\/eth0/);
    assert.equal(raw.counters.sendCompleted, 0, 'the early completion was not delivered');
    adapter.completeSends();
    await settle();
    assert.equal(raw.counters.sendCompleted, 1, 'the real one was');
    assert.deepEqual([...rt.verifier.counts.keys()], ['ImSendCompletedBeforeLower']);
    await rt.shutdown();
    assertClean(rt, ['ImSendCompletedBeforeLower']);
  },

  async DerivedNblLeak() {
    // Keeps a clone of each NBL indicated with NDIS_RECEIVE_FLAGS_RESOURCES past the indication.
    const kept: NetBufferList[] = [];
    class KeepsClone extends ImLowerBinding {
      clones: [NetBufferListPool, NetBufferPool] | null = null;
      override receiveNetBufferLists(nbls: NetBufferList, port: number, count: number, flags: number): void {
        if (this.clones === null) this.clones = [this.ndis.allocateNetBufferListPool({ capacity: 4, allocateNetBuffer: false }), this.ndis.allocateNetBufferPool({ capacity: 4 })];
        if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) kept.push(allocateCloneNetBufferList(nbls, this.clones[0], this.clones[1])!);
        super.receiveNetBufferLists(nbls, port, count, flags);
      }
    }
    const { rt, adapter } = await imStack(undefined, KeepsClone);
    const [parent] = adapter.injectReceive([frameIn(1)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
    // The IM re-indicated the same NBL on its virtual miniport: that indication returns first.
    expectRule(rt, 'DerivedNblLeak', 'T/veth0');
    assert.equal(rt.verifier.violations[0]!.rule, 'DerivedNblLeak', 'reported before the miniport trips over the live clone');
    assert.match(rt.verifier.of('DerivedNblLeak')[0]!.message, /derived NBL\(s\) of it still alive \(.*#\d+\)/);
    // Put things right so the pools end full: the clone goes, then its parent can.
    for (const c of kept) assert.ok(freeCloneNetBufferList(c));
    assert.ok(parent!.home.free(parent!));
    await rt.shutdown();
    assertClean(rt, ['DerivedNblLeak', 'NblChildrenOutstanding', 'TeardownLeak']);
  },

  async Registration() {
    // A filter without OID handlers originates a request: its completion has nowhere to go.
    class Originates extends TestFilterModule {}
    const s = await stack({ filters: [{ moduleClass: Originates, omit: ['oidRequest', 'oidRequestComplete', 'cancelOidRequest'] }] });
    s.adapter.oidMode = 'pend';
    assert.equal(s.module().ndis.oidRequest(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4)), NDIS_STATUS_PENDING);
    s.adapter.completeOid();
    await finish(s, 'Registration', FILTER);
  },
};

for (const rule of Object.keys(VERIFIER_RULES) as VerifierRule[]) {
  test(`verifier: ${rule}`, cases[rule]);
}
