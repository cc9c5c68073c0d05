/**
 * Drop reasons (issue 12 item 3): a receiver fed malformed frames, a full receive queue and traffic over
 * an impaired link reports each named reason with exactly the count injected; a drop capture receives
 * the dropped frames' bytes with the reason and module; tshark reads the drop capture's pcapng with the
 * reason in each packet's comment.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { DropCaptureFile } from '../../src/cli/drops-ops.js';
import type { DroppedFrame } from '../../src/core/runtime/drops.js';
import type { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { VirtualWire, type WirePort } from '../../src/drivers/miniport/virtual-wire/index.js';
import { BufferAllocator, NetBufferListPool, type NetBufferList } from '../../src/ndis/index.js';
import { assertClean, frame, macOf, makeHost, settle, uniqueWire } from '../support/hosts.js';
import { impairedHost } from '../support/impairment.js';
import { which } from '../support/netns.js';

/** A port on the wire that sends arbitrary bytes (runts and giants a real adapter refuses to send). */
class Injector implements WirePort {
  readonly portName = 'injector';
  readonly #pool = new NetBufferListPool({ capacity: 64, dataSize: 2048 }, new BufferAllocator());
  constructor(readonly wire: VirtualWire) {
    wire.attach(this);
  }
  receiveChain(): void {}
  linkChanged(): void {}
  /** Offers `frames` to every other port as one chain (all before any receiver's DPC runs). */
  send(frames: readonly Uint8Array[]): void {
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    for (const f of frames) {
      const nbl = this.#pool.allocate()!;
      const nb = nbl.firstNetBuffer!;
      const m = nb.poolMdl!;
      m.bytes.set(f, m.byteOffset);
      nb.dataLength = f.length;
      if (tail === null) head = nbl;
      else tail.next = nbl;
      tail = nbl;
    }
    this.wire.transmitChain(this, head!, frames.length);
    for (let nbl = head; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      this.#pool.free(nbl);
      nbl = next;
    }
  }
}

/** Count of `reason` for `module` in `rt`'s registry (0 when it never counted). */
function count(rt: NdisRuntime, module: string, reason: string): number {
  return rt.drops.rows(true).find((r) => r.module === module && r.reason === reason)?.count ?? 0;
}

/** Only the non-zero rows of `rt` as `module reason=count`, sorted. */
function nonZero(rt: NdisRuntime): string[] {
  return rt.drops.rows().map((r) => `${r.module} ${r.reason}=${r.count}`);
}

const runt = (i: number): Uint8Array => Uint8Array.from({ length: 10 }, (_, k) => (i * 16 + k) & 0xff);

test('drop reasons: malformed frames, a full receive queue and an impaired link are counted exactly, per module', async () => {
  const wireName = uniqueWire('drops');
  const wire = VirtualWire.named(wireName);
  const injector = new Injector(wire);
  // A sends through tsndis.impairment losing 30 % of its sends; B has the fewest receive buffers (16)
  // and a raw binding whose receive ring holds 8 frames.
  const a = await impairedHost({ name: 'A', wire: wireName, keywords: { SendLossPercent: 30, Seed: 7 } });
  const b = await makeHost({ name: 'B', wire: wireName, keywords: { '*ReceiveBuffers': 16 }, rawOptions: { receiveQueueDepth: 8 } });
  const bMac = macOf(b);
  const ep = b.raw.endpoint('eth0');
  const drain = (): number => {
    let n = 0;
    while (ep.tryReceive() !== null) n++;
    return n;
  };
  const captured: DroppedFrame[] = [];
  b.rt.drops.attachSink((f) => captured.push(f));

  // 1. Malformed: 7 runts and 3 giants (longer than 1514 + FCS), plus 4 frames for another NIC.
  const runts = Array.from({ length: 7 }, (_, i) => runt(i));
  const giants = Array.from({ length: 3 }, (_, i) => frame(bMac, a.mac, 0x88b5, 1600, i));
  const elsewhere = Array.from({ length: 4 }, (_, i) => frame(Uint8Array.of(2, 0, 0, 0, 0, 9), a.mac, 0x88b5, 46, i));
  injector.send([...runts, ...giants, ...elsewhere]);
  await settle();
  assert.equal(count(b.rt, 'B/eth0', 'malformedFrame'), 10);
  assert.equal(count(b.rt, 'B/eth0', 'addressFiltered'), 4);
  assert.equal(b.rt.adapter('eth0').instance !== undefined, true);

  // 2. A full receive queue: 40 frames at once into 16 receive buffers (24 find none), then 16 frames
  //    into the binding's 8-frame ring (8 find no room).
  injector.send(Array.from({ length: 40 }, (_, i) => frame(bMac, a.mac, 0x88b5, 46, i)));
  await settle();
  assert.equal(count(b.rt, 'B/eth0', 'rxBufferExhausted'), 24);
  assert.equal(count(b.rt, 'B/eth0<-tsndis.raw', 'receiveQueueFull'), 8);
  assert.equal(drain(), 8);

  // 3. An impaired link: 400 frames from A, 8 at a time; each lost one is an impairmentLoss of A's filter.
  const sent = 400;
  let received = 0;
  for (let i = 0; i < sent; i += 8) {
    assert.equal(a.ep.sendBatch(Array.from({ length: 8 }, (_, k) => frame(bMac, a.mac, 0x88b5, 46, i + k))), 8);
    await settle();
    received += drain();
  }
  const lost = count(a.rt, 'A/eth0/tsndis.impairment', 'impairmentLoss');
  assert.equal(lost, sent - received, 'every frame that did not arrive is one impairmentLoss');
  assert.equal(lost, a.filter.stats('send').totals.droppedRandom, "the filter's own counter agrees");
  assert.ok(lost > 80 && lost < 160, `about 30 % of ${sent} lost, got ${lost}`);

  // Nothing else was dropped by B; A saw every injected frame too (it is on the same wire).
  assert.deepEqual(nonZero(b.rt), ['B/eth0 addressFiltered=4', 'B/eth0 malformedFrame=10', 'B/eth0 rxBufferExhausted=24', 'B/eth0<-tsndis.raw receiveQueueFull=8']);
  assert.equal(count(a.rt, 'A/eth0', 'malformedFrame'), 10);
  assert.equal(count(a.rt, 'A/eth0', 'addressFiltered'), 4 + 40);

  // The capture got every drop of B, with the frame's bytes: the runts byte for byte.
  assert.equal(captured.length, 4 + 10 + 24 + 8);
  const malformed = captured.filter((f) => f.reason === 'malformedFrame');
  assert.deepEqual(malformed.slice(0, 7).map((f) => Buffer.from(f.bytes!).toString('hex')), runts.map((r) => Buffer.from(r).toString('hex')));
  assert.deepEqual(malformed.slice(7).map((f) => f.bytes!.length), [1600 + 14, 1600 + 14, 1600 + 14]);
  assert.ok(captured.every((f) => f.host === 'B' && (f.reason === 'receiveQueueFull' ? f.module === 'B/eth0<-tsndis.raw' : f.module === 'B/eth0')));

  wire.detach(injector);
  await a.rt.shutdown();
  await b.rt.shutdown();
  assertClean(a.rt);
  assertClean(b.rt);
  VirtualWire.release(wireName);
});

test('drop reasons: a counter is one slot per (module, reason); names are checked; no capture, no copy', async () => {
  const wireName = uniqueWire('drops');
  const b = await makeHost({ name: 'B', wire: wireName });
  const handle = b.rt.adapter('eth0');
  const c1 = handle.dropCounter('malformedFrame');
  assert.equal(handle.dropCounter('malformedFrame'), c1);
  assert.notEqual(handle.dropCounter('rxBufferExhausted'), c1);
  assert.throws(() => handle.dropCounter('Bad Reason'), /not a lowerCamelCase name/);
  c1.add(3);
  c1.dropBytes(Uint8Array.of(1, 2, 3), 0, 3);
  assert.equal(c1.count, 4);
  const source = { module: 'B/tsndis.test', reasons: ['alpha', 'beta'], read: (i: number) => (i === 0 ? 5 : 0) };
  const r1 = handle.registerDropSource(source);
  const r2 = b.rt.adapter('eth0').registerDropSource(source);
  assert.equal(r1.capturing, false);
  assert.deepEqual(
    b.rt.drops.rows().map((r) => `${r.module} ${r.reason}=${r.count}`),
    ['B/eth0 malformedFrame=4', 'B/tsndis.test alpha=5'],
    'a source registered twice counts once; zero rows are left out',
  );
  const got: DroppedFrame[] = [];
  const sink = (f: DroppedFrame): void => void got.push(f);
  b.rt.drops.attachSink(sink);
  assert.throws(() => b.rt.drops.attachSink(() => {}), /already attached/);
  assert.equal(r1.capturing, true);
  r1.capture(1, Uint8Array.of(9, 8, 7, 6), 1, 2);
  b.rt.drops.detachSink(sink);
  assert.deepEqual(got.map((f) => [f.module, f.reason, [...f.bytes!]]), [['B/tsndis.test', 'beta', [8, 7]]]);
  r1.remove();
  assert.equal(b.rt.drops.rows().length, 2, 'still registered once');
  r2.remove();
  assert.deepEqual(b.rt.drops.rows().map((r) => r.module), ['B/eth0']);
  await b.rt.shutdown();
  VirtualWire.release(wireName);
});

function tsharkComments(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.interface_name', '-e', 'frame.len', '-e', 'frame.comment'], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`tshark -r ${file} failed: ${err.message}\n${stderr}`));
      else resolve(stdout.split('\n').filter((l) => l !== ''));
    });
  });
}

function needTshark(t: TestContext): boolean {
  if (which('tshark')) return false;
  t.skip("needs the 'tshark' command (apt-get install tshark)");
  return true;
}

test('drop capture: tshark reads the pcapng with the reason and the module in each packet comment', async (t) => {
  if (needTshark(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-drops-'));
  const wireName = uniqueWire('drops');
  const wire = VirtualWire.named(wireName);
  const injector = new Injector(wire);
  const b = await makeHost({ name: 'B', wire: wireName, keywords: { '*ReceiveBuffers': 16 } });
  const file = new DropCaptureFile(join(dir, 'drops.pcapng'));
  b.rt.drops.attachSink(file.sink);
  try {
    injector.send([runt(1), runt(2), ...Array.from({ length: 18 }, (_, i) => frame(macOf(b), Uint8Array.of(2, 0, 0, 0, 0, 1), 0x88b5, 46, i))]);
    await settle();
    b.rt.drops.detachSink(file.sink);
    file.close();
    assert.equal(file.frames, 4);
    const lines = await tsharkComments(join(dir, 'drops.pcapng'));
    assert.deepEqual(lines, [
      'B/eth0\t10\tdrop: malformedFrame module: B/eth0',
      'B/eth0\t10\tdrop: malformedFrame module: B/eth0',
      'B/eth0\t60\tdrop: rxBufferExhausted module: B/eth0',
      'B/eth0\t60\tdrop: rxBufferExhausted module: B/eth0',
    ]);
  } finally {
    wire.detach(injector);
    await b.rt.shutdown();
    VirtualWire.release(wireName);
    rmSync(dir, { recursive: true, force: true });
  }
});
