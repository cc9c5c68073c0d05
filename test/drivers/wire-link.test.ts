import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { VirtualWire, WireLinkEndpoint, createWireLinkMemory } from '../../src/drivers/miniport/virtual-wire/index.js';
import { assertClean, frame, macOf, makeHost, settle, shutdownAll, uniqueWire } from '../support/hosts.js';

/** Waits (bounded) until `done()` holds, letting real time and the event loop run. */
async function until(done: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await settle(2);
    await new Promise((r) => setTimeout(r, 1));
  }
}

test('wire link: frames of every size cross between two wires in order and byte for byte, through ring wrap-arounds', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 46, max: 1500 }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 64 }), async (sizes, batch) => {
      const wx = uniqueWire('lx');
      const wy = uniqueWire('ly');
      // The smallest ring (64 KiB), so a few hundred frames wrap it many times.
      const memory = createWireLinkMemory(1 << 16);
      const ex = new WireLinkEndpoint(VirtualWire.named(wx), memory, 'a');
      const ey = new WireLinkEndpoint(VirtualWire.named(wy), memory, 'b');
      const a = await makeHost({ name: 'A', wire: wx });
      const b = await makeHost({ name: 'B', wire: wy, rawOptions: { receiveQueueDepth: 512 } });
      const got: Uint8Array[] = [];
      const sent: Uint8Array[] = [];
      const rx = b.raw.endpoint('eth0');
      for (let i = 0; i < sizes.length; i += batch) {
        const chunk = sizes.slice(i, i + batch).map((n, k) => frame(macOf(b), macOf(a), 0x88b5, n, i + k));
        assert.equal(a.raw.endpoint('eth0').sendBatch(chunk), chunk.length);
        sent.push(...chunk);
        await until(() => {
          for (let f = rx.tryReceive(); f !== null; f = rx.tryReceive()) got.push(f);
          return got.length === sent.length;
        }, `${sent.length} frames`);
      }
      assert.equal(got.length, sizes.length);
      for (let i = 0; i < got.length; i++) assert.deepEqual(got[i], sent[i], `frame ${i}`);
      assert.equal(ex.counters.framesOut, sizes.length);
      assert.equal(ey.counters.framesIn, sizes.length);
      assert.equal(ex.counters.ringFull, 0);
      ex.close();
      ey.close();
      await shutdownAll(a, b);
      assertClean(a.rt);
      assertClean(b.rt);
      VirtualWire.release(wx);
      VirtualWire.release(wy);
    }),
    { numRuns: 12 },
  );
});

test('wire link: a burst larger than the ring drops what does not fit, counts it, and loses nothing else', async () => {
  const wx = uniqueWire('lx');
  const wy = uniqueWire('ly');
  const memory = createWireLinkMemory(1 << 16);
  const ex = new WireLinkEndpoint(VirtualWire.named(wx), memory, 'a');
  const ey = new WireLinkEndpoint(VirtualWire.named(wy), memory, 'b');
  const a = await makeHost({ name: 'A', wire: wx, rawOptions: { sendPoolSize: 1024 } });
  const b = await makeHost({ name: 'B', wire: wy, rawOptions: { receiveQueueDepth: 1024 }, keywords: { '*ReceiveBuffers': 2048 } });
  // 400 frames of 1 KB in one call: ~420 KB into a 64 KiB ring before the consumer can run.
  const burst = Array.from({ length: 400 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 1000, i));
  assert.equal(a.raw.endpoint('eth0').sendBatch(burst), 400);
  const rx = b.raw.endpoint('eth0');
  const got: Uint8Array[] = [];
  await until(() => {
    for (let f = rx.tryReceive(); f !== null; f = rx.tryReceive()) got.push(f);
    return got.length === ex.counters.framesOut;
  }, 'the frames that fit');
  assert.ok(ex.counters.ringFull > 0, 'the ring overflowed');
  assert.equal(ex.counters.framesOut + ex.counters.ringFull, 400, 'every frame either crossed or was counted as dropped');
  assert.equal(ey.counters.framesIn, ex.counters.framesOut);
  // What crossed is the burst's prefix, unchanged.
  for (let i = 0; i < got.length; i++) assert.deepEqual(got[i], burst[i]);
  ex.close();
  ey.close();
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
  VirtualWire.release(wx);
  VirtualWire.release(wy);
});

test('wire link: a host on a worker thread echoes frames across the link; closing stops both sides', async () => {
  const wire = uniqueWire('lm');
  const memory = createWireLinkMemory(1 << 20);
  const link = new WireLinkEndpoint(VirtualWire.named(wire), memory, 'a');
  const a = await makeHost({ name: 'A', wire, rawOptions: { sendPoolSize: 512, receiveQueueDepth: 4096 }, keywords: { '*ReceiveBuffers': 4096 } });
  const worker = new Worker(new URL('../support/wire-link-worker.js', import.meta.url), { workerData: { memory } });
  const exited = new Promise<number>((r) => worker.once('exit', r));
  try {
    const up = await new Promise<{ mac: number[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const far = new Uint8Array(up.mac);
    const rx = a.raw.endpoint('eth0');
    const sent: Uint8Array[] = [];
    const got: Uint8Array[] = [];
    for (let i = 0; i < 2000; i += 50) {
      const chunk = Array.from({ length: 50 }, (_, k) => frame(far, macOf(a), 0x88b5, 46 + ((i + k) * 37) % 1400, i + k));
      assert.equal(rx.sendBatch(chunk), 50);
      sent.push(...chunk);
      await until(() => {
        for (let f = rx.tryReceive(); f !== null; f = rx.tryReceive()) got.push(f);
        return got.length === sent.length;
      }, `${sent.length} echoes`);
    }
    for (let i = 0; i < sent.length; i++) {
      const want = new Uint8Array(sent[i]!);
      want.set(sent[i]!.subarray(6, 12), 0);
      want.set(sent[i]!.subarray(0, 6), 6);
      assert.deepEqual(got[i], want, `echo ${i}`);
    }
    const down = new Promise<{ echoed: number; counters: { framesIn: number; framesOut: number; ringFull: number }; busy: string[]; violations: number }>((r) =>
      worker.once('message', r),
    );
    worker.postMessage('stop');
    const report = await down;
    assert.equal(report.echoed, 2000);
    assert.equal(report.counters.framesIn, 2000);
    assert.equal(report.counters.framesOut, 2000);
    assert.deepEqual(report.busy, [], 'the worker host ended with full pools');
    assert.equal(report.violations, 0);
    assert.equal(link.counters.framesIn, 2000);
    // The far side closed the link: this side notices and detaches from its wire.
    await until(() => link.closed, 'the link closed on this side too');
    assert.equal(VirtualWire.named(wire).ports.includes(link), false);
    assert.equal(await exited, 0);
  } finally {
    await worker.terminate();
    link.close();
    await shutdownAll(a);
  }
  assertClean(a.rt);
  VirtualWire.release(wire);
});

test('wire link: ring sizes outside 64 KiB … 1 GiB or not a power of two are refused', () => {
  for (const bad of [1000, 1 << 15, 3 << 16, 2 ** 31, 1.5]) assert.throws(() => createWireLinkMemory(bad), RangeError);
});
