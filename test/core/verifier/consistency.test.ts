/**
 * Wrong drivers beyond one-per-rule: after the violation the runtime keeps every NBL on a legal path, so
 * the rest of the stack is unaffected and every pool is full after shutdown.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NETWORK_CHANGE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisHaltDeviceSurpriseRemoved,
  allocateCloneNetBufferList,
  freeCloneNetBufferList,
  type NdisStatus,
  type NetBufferList,
  type NetBufferListPool,
  type NetBufferPool,
} from '../../../src/ndis/index.js';
import { BROADCAST, settle } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, TestBinding, TestFilterModule, TestMiniportAdapter, TestProtocolDriver, chain, seqFrame } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

const frameOut = (seq: number) => seqFrame(PEER_MAC, TEST_MAC, seq);
const frameIn = (seq: number) => seqFrame(TEST_MAC, PEER_MAC, seq);

test('a filter returning an NBL indicated with RESOURCES is caught; the miniport is not handed it', async () => {
  class ReturnsResources extends TestFilterModule {
    override receiveNetBufferLists(nbls: NetBufferList, port: number, count: number, flags: number): void {
      if ((flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) {
        this.ndis.returnNetBufferLists(nbls, 0); // wrong: the indicator keeps these
        return;
      }
      super.receiveNetBufferLists(nbls, port, count, flags);
    }
  }
  const s = await testStack({ filters: [{ moduleClass: ReturnsResources }], protocols: [{}] });
  s.log.length = 0;
  s.adapter.injectReceive([frameIn(1)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
  assert.equal(s.rt.verifier.of('NblResourcesReturned')[0]?.module, 'T/eth0/test.filter0');
  assert.ok(!s.log.includes('mp:return'), 'MiniportReturnNetBufferLists was not called');
  assert.equal(s.mb.receivesOutstanding, 0);
  await s.finish(['NblResourcesReturned']);
});

test('a filter indicating its own NBLs with RESOURCES gets them back when the call returns', async () => {
  class Originates extends TestFilterModule {
    indicateOwn(): void {
      const list = [frameIn(1), frameIn(2)].map((f) => {
        const n = this.pool!.allocate()!;
        n.firstNetBuffer!.dataLength = f.length;
        n.firstNetBuffer!.copyIn(f, 0, f.length, 0);
        n.sourceHandle = this.ndis;
        return n;
      });
      this.ndis.indicateReceiveNetBufferLists(chain(list)!, 0, 2, NDIS_RECEIVE_FLAGS_RESOURCES);
      for (const n of list) n.home.free(n); // ours again
    }
  }
  const s = await testStack({ filters: [{ moduleClass: Originates }], protocols: [{}] });
  (s.module() as Originates).indicateOwn();
  assert.equal(s.binding().received.length, 2);
  await s.rt.pauseStack('eth0');
  await s.rt.restartStack('eth0');
  await s.finish();
});

test('a miniport that throws in send is removed; the send completes with an error', async () => {
  class Throws extends TestMiniportAdapter {
    override sendNetBufferLists(): void {
      throw new Error('miniport bug');
    }
  }
  const s = await testStack({ miniport: { adapterClass: Throws }, filters: [{}], protocols: [{}] });
  s.binding().send([frameOut(1), frameOut(2)]);
  assert.equal(s.rt.verifier.of('HandlerException')[0]?.module, 'T/eth0');
  assert.deepEqual(s.binding().completions.map((c) => c.status), [NDIS_STATUS_FAILURE, NDIS_STATUS_FAILURE]);
  await s.rt.whenIdle();
  assert.equal(s.rt.adapters.size, 0, 'the adapter was torn down');
  assert.equal(s.adapter.halted, false, 'a failed driver is not called again');
  await s.finish(['HandlerException']);
});

test('a protocol that throws in receive is unbound; the NBL goes back and the other binding keeps running', async () => {
  class Throws extends TestBinding {
    override receiveNetBufferLists(): void {
      throw new Error('protocol bug');
    }
  }
  const s = await testStack({ protocols: [{ bindingClass: Throws }, {}] });
  s.adapter.injectReceive([seqFrame(BROADCAST, PEER_MAC, 1)]);
  assert.equal(s.rt.verifier.of('HandlerException')[0]?.module, 'T/eth0<-test.protocol0');
  assert.equal(s.adapter.indicated, 0, 'the NBL came back');
  await s.rt.whenIdle();
  assert.deepEqual(s.mb.bindings.map((b) => b.protocol.name), ['test.protocol1']);
  s.adapter.injectReceive([seqFrame(BROADCAST, PEER_MAC, 2)]);
  assert.equal(s.binding(1).received.length, 2);
  await s.finish(['HandlerException']);
});

test('sending an NBL that is still in flight is caught and does not reach the miniport twice', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.sendMode = 'hold';
  const [nbl] = s.binding().send([frameOut(1)]);
  s.binding().ndis.sendNetBufferLists(nbl!, 0, 0); // again, while the miniport owns it
  assert.equal(s.rt.verifier.of('NblNotOwned')[0]?.module, 'T/eth0<-test.protocol0');
  assert.equal(s.adapter.held.length, 1);
  s.adapter.completeSends();
  assert.equal(s.binding().completions.length, 1);
  await s.finish(['NblNotOwned']);
});

test('two bindings: returning a shared NBL twice is caught and does not take it from the other binding', async () => {
  const s = await testStack({ protocols: [{}, {}] });
  s.binding(0).holdReceives = true;
  s.binding(1).holdReceives = true;
  const [nbl] = s.adapter.injectReceive([seqFrame(BROADCAST, PEER_MAC, 1)]);
  s.binding(0).returnHeld();
  s.binding(0).ndis.returnNetBufferLists(nbl!, 0); // twice
  assert.equal(s.rt.verifier.of('NblDoubleComplete')[0]?.module, 'T/eth0<-test.protocol0');
  assert.equal(s.adapter.indicated, 1, 'binding 1 still holds it');
  s.binding(1).returnHeld();
  assert.equal(s.adapter.indicated, 0);
  await s.finish(['NblDoubleComplete']);
});

test('two bindings: a binding that fails while holding shared NBLs gives up its share, not the other one’s', async () => {
  class ThrowsOnStatus extends TestBinding {
    override status(): void {
      throw new Error('protocol bug');
    }
  }
  const s = await testStack({ protocols: [{ bindingClass: ThrowsOnStatus }, {}] });
  s.binding(0).holdReceives = true;
  s.binding(1).holdReceives = true;
  s.adapter.injectReceive([seqFrame(BROADCAST, PEER_MAC, 1), seqFrame(BROADCAST, PEER_MAC, 2)]);
  s.adapter.ndis.indicateStatus({ statusCode: NDIS_STATUS_NETWORK_CHANGE, statusBuffer: null });
  assert.equal(s.rt.verifier.of('HandlerException')[0]?.module, 'T/eth0<-test.protocol0');
  assert.equal(s.adapter.indicated, 2, 'binding 1 still holds both');
  await s.rt.whenIdle();
  assert.deepEqual(s.mb.bindings.map((b) => b.protocol.name), ['test.protocol1']);
  s.binding(1).returnHeld();
  assert.equal(s.adapter.indicated, 0);
  await s.finish(['HandlerException']);
});

test('surprise removal completes what the miniport holds with an error and halts with SurpriseRemoved', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.sendMode = 'hold';
  const b = s.binding();
  b.send([frameOut(1), frameOut(2)]);
  b.holdReceives = true;
  s.adapter.injectReceive([frameIn(3)]);
  await s.rt.surpriseRemove('eth0');
  assert.deepEqual(b.completions.map((c) => c.status), [NDIS_STATUS_ADAPTER_REMOVED, NDIS_STATUS_ADAPTER_REMOVED]);
  assert.equal(s.adapter.haltAction, NdisHaltDeviceSurpriseRemoved);
  assert.equal(s.adapter.indicated, 0);
  assert.equal(s.rt.adapters.size, 0);
  await s.finish();
});

test('a pool a binding never freed is a TeardownLeak at unbind, and is reclaimed', async () => {
  const s = await testStack({ protocols: [{ setup: (b) => (b.freeOnUnbind = false) }] });
  await s.rt.unbindProtocol('eth0', 'test.protocol0');
  const v = s.rt.verifier.of('TeardownLeak');
  assert.equal(v.length, 1);
  assert.match(v[0]!.detail, /pool T\/eth0<-test\.protocol0:tx not freed/);
  await s.finish(['TeardownLeak']);
});

test('a filter originating an NBL without setting SourceHandle is caught and still gets its completion', async () => {
  class NoSourceHandle extends TestFilterModule {
    sendOwn(): NetBufferList {
      const nbl = this.pool!.allocate()!;
      const f = frameOut(1);
      nbl.firstNetBuffer!.dataLength = f.length;
      nbl.firstNetBuffer!.copyIn(f, 0, f.length, 0);
      this.ownSendsOutstanding++;
      this.ndis.sendNetBufferLists(nbl, 0, 0); // SourceHandle left null
      return nbl;
    }
  }
  const s = await testStack({ filters: [{ moduleClass: NoSourceHandle }], protocols: [{}] });
  const nbl = (s.module() as NoSourceHandle).sendOwn();
  assert.equal(s.rt.verifier.of('NblSourceHandle')[0]?.module, 'T/eth0/test.filter0');
  assert.equal(nbl.allocated, false, 'the completion came back to the filter, which freed it');
  assert.equal(s.filters[0]!.ownCompleted.length, 1);
  assert.equal(s.mb.filters[0]!.ownSendsOutstanding, 0, 'NDIS counted it as the module’s own');
  await s.finish(['NblSourceHandle']);
});

test('an own RESOURCES indication by a filter balances with the verifier off as well', async () => {
  class Originates extends TestFilterModule {
    indicateOwn(): void {
      const n = this.pool!.allocate()!;
      const f = frameIn(1);
      n.firstNetBuffer!.dataLength = f.length;
      n.firstNetBuffer!.copyIn(f, 0, f.length, 0);
      n.sourceHandle = this.ndis;
      this.ndis.indicateReceiveNetBufferLists(n, 0, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
      n.home.free(n);
    }
  }
  const s = await testStack({ filters: [{ moduleClass: Originates }], protocols: [{}], verifier: { enabled: false } });
  (s.module() as Originates).indicateOwn();
  assert.equal(s.binding().received.length, 1);
  await s.rt.pauseStack('eth0');
  await s.finish();
});

test('more than 30 bindings on one adapter: the 31st fails with NDIS_STATUS_OPEN_LIST_FULL', async () => {
  const s = await testStack({ protocols: Array.from({ length: 30 }, (_, i) => ({ name: `p${i}`, packetFilter: 0 })) });
  assert.equal(s.mb.bindings.length, 30);
  assert.equal(new Set(s.mb.bindings.map((b) => b.rxBit)).size, 30);
  const extra = new TestProtocolDriver({ name: 'p30', packetFilter: 0 });
  s.rt.registerDriver(extra.characteristics);
  await assert.rejects(s.rt.bindProtocol('eth0', 'p30'), /NDIS_STATUS_OPEN_LIST_FULL/);
  // A freed bit is reused.
  await s.rt.unbindProtocol('eth0', 'p7');
  await s.rt.bindProtocol('eth0', 'p30');
  assert.equal(new Set(s.mb.bindings.map((b) => b.rxBit)).size, 30);
  await s.finish();
});

test('a filter indicating while it is not running: SendWhilePaused, and RESOURCES NBLs are not returned for it', async () => {
  class ForwardsAlways extends TestFilterModule {
    override receiveNetBufferLists(nbls: NetBufferList, port: number, count: number, flags: number): void {
      this.ndis.indicateReceiveNetBufferLists(nbls, port, count, flags); // whatever its state
    }
    override restart(): NdisStatus {
      return NDIS_STATUS_PENDING; // completed by the test
    }
  }
  const s = await testStack({ filters: [{ moduleClass: ForwardsAlways }], protocols: [{}], start: false });
  const start = s.rt.startAdapter('eth0');
  await settle();
  assert.equal(s.mb.state, 'Running');
  assert.equal(s.mb.filters[0]!.state, 'Restarting');
  s.log.length = 0;
  s.adapter.injectReceive([frameIn(1)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
  s.adapter.injectReceive([frameIn(2)]);
  assert.equal(s.rt.verifier.of('SendWhilePaused').length, 2);
  assert.equal(s.log.filter((l) => l === 'mp:return').length, 1, 'only the normal NBL went back to the miniport');
  assert.equal(s.adapter.indicated, 0);
  s.module().ndis.restartComplete(NDIS_STATUS_SUCCESS);
  await start;
  await s.finish(['SendWhilePaused']);
});

test('a filter completing a parent while its clone is still in flight is caught; the parent goes back once, later', async () => {
  class ClonesAndCompletesEarly extends TestFilterModule {
    clonePool: NetBufferListPool | null = null;
    nbPool: NetBufferPool | null = null;
    override attach(p: Parameters<TestFilterModule['attach']>[0]): NdisStatus {
      this.clonePool = this.ndis.allocateNetBufferListPool({ capacity: 8, allocateNetBuffer: false });
      this.nbPool = this.ndis.allocateNetBufferPool({ capacity: 8 });
      return super.attach(p);
    }
    override detach(): void {
      this.ndis.freeNetBufferListPool(this.clonePool!);
      this.ndis.freeNetBufferPool(this.nbPool!);
      super.detach();
    }
    override sendNetBufferLists(nbls: NetBufferList): void {
      const parent = nbls;
      const clone = allocateCloneNetBufferList(parent, this.clonePool!, this.nbPool!)!;
      clone.sourceHandle = this.ndis;
      clone.protocolReserved[0] = parent;
      this.ownSendsOutstanding++;
      this.ndis.sendNetBufferLists(clone, 0, 0);
      this.ndis.sendNetBufferListsComplete(parent, 0); // wrong: the clone still maps its data
    }
    override sendNetBufferListsComplete(nbls: NetBufferList): void {
      const clone = nbls;
      const parent = clone.protocolReserved[0] as NetBufferList;
      parent.status = clone.status;
      this.ownSendsOutstanding--;
      freeCloneNetBufferList(clone);
      this.ndis.sendNetBufferListsComplete(parent, 0); // the right place
    }
  }
  const s = await testStack({ filters: [{ moduleClass: ClonesAndCompletesEarly }], protocols: [{}] });
  s.adapter.sendMode = 'hold';
  s.binding().send([frameOut(1)]);
  assert.equal(s.rt.verifier.of('NblChildrenOutstanding')[0]?.module, 'T/eth0/test.filter0');
  assert.equal(s.binding().completions.length, 0, 'the early completion did not reach the protocol');
  s.adapter.completeSends();
  assert.deepEqual(s.binding().completions.map((c) => c.status), [NDIS_STATUS_SUCCESS]);
  await s.finish(['NblChildrenOutstanding']);
});
