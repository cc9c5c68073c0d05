/**
 * A filter attached and detached again and again while a steady stream flows between two hosts. Each
 * change pauses the stack (slowly: a filter below completes its pause and restart on a later turn), so
 * frames arrive while the stack is running, pausing, paused and restarting. Whatever the raw protocol
 * accepted must be read exactly once, in order; every module's counters must balance; pools end full.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { countersFilter, type CountersFilterModule } from '../../../src/drivers/filter/counters/index.js';
import { VirtualWire, virtualWireMiniport } from '../../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../../src/drivers/protocol/raw/index.js';
import { NDIS_STATUS_PENDING, NDIS_STATUS_SUCCESS, type NdisStatus } from '../../../src/ndis/index.js';
import { assertClean, macOf, shutdownAll, uniqueWire, type TestHost } from '../../support/hosts.js';
import { TestFilterDriver, TestFilterModule, seqFrame, seqOf } from '../../support/test-drivers.js';

/** Completes pause and restart on a later turn, so a stack change spans several event-loop turns. */
class SlowFilter extends TestFilterModule {
  override pause(params: Parameters<TestFilterModule['pause']>[0]): NdisStatus {
    super.pause(params);
    setImmediate(() => this.ndis.pauseComplete());
    return NDIS_STATUS_PENDING;
  }
  override restart(): NdisStatus {
    setImmediate(() => this.ndis.restartComplete(NDIS_STATUS_SUCCESS));
    return NDIS_STATUS_PENDING;
  }
}

async function host(name: string, wire: string): Promise<TestHost> {
  const rt = NdisRuntime.forTest({ name });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(countersFilter);
  rt.registerDriver(new TestFilterDriver({ name: 'test.slow', filterClass: 'custom', moduleClass: SlowFilter }).characteristics);
  const raw = new RawProtocol('tsndis.raw', { receiveQueueDepth: 1024 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire, '*ReceiveBuffers': 2048 } });
  await rt.attachFilter('eth0', 'test.slow');
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  return { rt, raw, adapter: `${name}/eth0` };
}

function checkBalanced(m: CountersFilterModule, where: string): void {
  const c = m.counters;
  assert.equal(c.sendCompleted, c.sendNbls, `${where}: every send it passed down came back through it`);
  assert.equal(c.returned, c.receiveNbls, `${where}: every receive it passed up came back through it`);
  assert.equal(c.sendFailed, 0, `${where}: no send failed`);
}

test('filter attach/detach under a steady stream: nothing accepted is lost or duplicated, counters balance', async () => {
  const wire = uniqueWire('churn');
  const a = await host('A', wire);
  const b = await host('B', wire);
  const epA = a.raw.endpoint('eth0');
  const epB = b.raw.endpoint('eth0');
  const macA = macOf(a);
  const macB = macOf(b);
  const got: number[] = [];
  const drain = () => {
    for (let f = epB.tryReceive(); f !== null; f = epB.tryReceive()) got.push(seqOf(f));
  };

  let stop = false;
  let seq = 0;
  let turns = 0;
  const pump = (async () => {
    while (!stop) {
      const batch = Array.from({ length: 16 }, (_, i) => seqFrame(macB, macA, seq + i, 60));
      seq += epA.sendBatch(batch); // refused while A's binding is not running
      if (++turns % 4 === 0) drain(); // B holds frames in between (copied out when it pauses)
      await new Promise<void>((r) => setImmediate(r));
    }
  })();

  const modules: { m: CountersFilterModule; where: string }[] = [];
  for (let cycle = 0; cycle < 12; cycle++) {
    const side = cycle % 3 === 2 ? a : b; // mostly the receiver, sometimes the sender
    const [fb] = await side.rt.attachFilter('eth0', 'tsndis.counters');
    modules.push({ m: fb!.instance as CountersFilterModule, where: `${side.adapter} cycle ${cycle}` });
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    await side.rt.detachFilter('eth0', 'tsndis.counters');
  }
  stop = true;
  await pump;
  await new Promise<void>((r) => setImmediate(r));
  drain();

  assert.ok(seq > 500, `stream of ${seq} frames`);
  assert.ok(turns > 50);
  // Receiver: everything the raw protocol accepted was read once, in order, and nothing overflowed.
  assert.equal(epB.counters.receiveDropped, 0);
  assert.equal(got.length, epB.counters.framesReceived, 'nothing accepted was lost');
  for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, `in order, no duplicate at ${i}: ${got[i - 1]} then ${got[i]}`);
  assert.ok(got.every((s) => s < seq));
  assert.ok(got.length > 0 && got.length <= seq);
  assert.ok(epB.counters.receiveCopied > 0, 'some frames were held across a pause and copied out');
  // Sender: every frame it sent completed successfully.
  assert.equal(epA.counters.framesSent, seq);
  assert.equal(epA.counters.sendCompleted, seq);
  assert.ok(epA.counters.refusedNotRunning > 0, 'A refused sends while its own stack was paused');
  // Each module instance saw balanced traffic, and some saw traffic at all.
  for (const { m, where } of modules) checkBalanced(m, where);
  assert.ok(modules.some(({ m }) => m.counters.receiveNbls > 0));
  assert.ok(modules.some(({ m }) => m.counters.sendNbls > 0));

  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
  VirtualWire.release(wire);
});
