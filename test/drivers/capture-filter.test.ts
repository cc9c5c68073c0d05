/**
 * tsndis.capture on hosts joined by a virtual wire (manual clock, verifier on): every frame passing the
 * module is in the file with its direction and runtime timestamp; one interface per module; a queue
 * far smaller than a burst drops and counts without touching the traffic; rotation; pause flushes;
 * write errors and an unusable path are counted and logged while the stack keeps running.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CaptureFilterModule, captureBasePath, captureFilesClosed } from '../../src/drivers/filter/capture/index.js';
import { readCapture, type CapturedFrame } from '../../src/io/pcapng/index.js';
import { assertClean, frame, macOf, settle, shutdownAll, uniqueWire, type TestHost } from '../support/hosts.js';
import { LogLines, captureHost, tempDir } from '../support/pcapng-hosts.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function captureModules(h: TestHost): CaptureFilterModule[] {
  return h.rt.adapter('eth0').filters.map((f) => f.instance).filter((m): m is CaptureFilterModule => m instanceof CaptureFilterModule);
}

function readFrames(path: string): { frames: CapturedFrame[]; names: string[] } {
  const r = readCapture(readFileSync(path));
  assert.equal(r.error, null, `${path}: ${r.error?.toString()}`);
  return { frames: r.frames, names: r.interfaces.map((i) => i.name) };
}

test('capture: both directions, in order, with directions, interface name and runtime timestamps', async () => {
  const dir = tempDir('capture');
  const wire = uniqueWire();
  const a = await captureHost({ name: 'A', wire, capture: { File: join(dir, 'a') }, rawOptions: { receiveQueueDepth: 4096 } });
  const b = await captureHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  const sentByA: Uint8Array[] = [];
  const sentByB: Uint8Array[] = [];
  const nowA: number[] = [];
  for (let round = 0; round < 10; round++) {
    const fromA = Array.from({ length: 20 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 46 + ((round * 20 + i) % 200), round * 20 + i));
    const fromB = Array.from({ length: 15 }, (_, i) => frame(round % 2 === 0 ? macOf(a) : new Uint8Array(6).fill(0xff), macOf(b), 0x88b6, 46 + i, 1000 + round * 15 + i));
    assert.equal(a.raw.endpoint('eth0').sendBatch(fromA), fromA.length);
    for (let i = 0; i < fromA.length; i++) nowA.push(a.rt.scheduler.now());
    assert.equal(b.raw.endpoint('eth0').sendBatch(fromB), fromB.length);
    sentByA.push(...fromA);
    sentByB.push(...fromB);
    await settle();
    await a.rt.scheduler.advanceAsync(7);
  }
  const module = captureModules(a)[0]!;
  assert.deepEqual({ ...module.counters }, { captured: 350, dropped: 0, bytes: [...sentByA, ...sentByB].reduce((n, f) => n + f.length, 0) });
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  assertClean(b.rt);
  const { frames, names } = readFrames(join(dir, 'a.pcapng'));
  assert.deepEqual(names, ['A/eth0/tsndis.capture@miniport']);
  const out = frames.filter((f) => f.direction === 2);
  const inb = frames.filter((f) => f.direction === 1);
  assert.equal(out.length + inb.length, frames.length, 'every frame has a direction');
  assert.deepEqual(out.map((f) => hex(f.data)), sentByA.map(hex), 'outbound: what A sent, in order');
  assert.deepEqual(inb.map((f) => hex(f.data)), sentByB.map(hex), 'inbound: what B sent, in order');
  assert.ok(frames.every((f) => f.originalLength === f.data.length));
  // Timestamps: performance.timeOrigin + the manual clock, to the nanosecond.
  const origin = performance.timeOrigin;
  for (let i = 0; i < out.length; i++) {
    const ms = (out[i]!.seconds * 1000 - origin) + out[i]!.nanoseconds / 1e6;
    assert.ok(Math.abs(ms - nowA[i]!) < 0.001, `frame ${i}: ${ms} ms vs clock ${nowA[i]}`);
  }
  rmSync(dir, { recursive: true });
});

test('capture: by default a stack with a modifying filter writes each frame once (the point above the miniport)', async () => {
  const dir = tempDir('capture');
  const wire = uniqueWire();
  const a = await captureHost({ name: 'A', wire, filters: ['tsndis.counters'], capture: { File: join(dir, 'once.pcapng') } });
  const b = await captureHost({ name: 'B', wire });
  const modules = captureModules(a);
  assert.equal(modules.length, 2, 'a monitoring filter still gets both modules');
  const frames = Array.from({ length: 30 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 50, i));
  a.raw.endpoint('eth0').sendBatch(frames);
  b.raw.endpoint('eth0').send(frame(macOf(a), macOf(b), 0x88b5, 50, 99));
  await settle();
  const [bottom, above] = modules;
  assert.equal(bottom!.counters.captured, 31);
  assert.equal(above!.counters.captured, 0, 'the module above tsndis.counters passes frames on without recording');
  assert.deepEqual(above!.inspect(), { recording: false, points: 'miniport' });
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  assertClean(b.rt);
  const r = readFrames(join(dir, 'once.pcapng'));
  assert.deepEqual(r.names, ['A/eth0/tsndis.capture@miniport']);
  assert.deepEqual(r.frames.filter((f) => f.direction === 2).map((f) => hex(f.data)), frames.map(hex), 'each frame sent, once');
  assert.equal(r.frames.filter((f) => f.direction === 1).length, 1, 'the frame received, once');
  rmSync(dir, { recursive: true });
});

test('capture: Points all records at every point, each module its own interface (named after it) in the one file', async () => {
  const dir = tempDir('capture');
  const wire = uniqueWire();
  const a = await captureHost({ name: 'A', wire, filters: ['tsndis.counters'], capture: { File: join(dir, 'two.pcapng'), Points: 'all' } });
  const b = await captureHost({ name: 'B', wire });
  const modules = captureModules(a);
  assert.equal(modules.length, 2);
  assert.equal(modules[0]!.file, modules[1]!.file, 'one shared file');
  const frames = Array.from({ length: 30 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 50, i));
  a.raw.endpoint('eth0').sendBatch(frames);
  b.raw.endpoint('eth0').send(frame(macOf(a), macOf(b), 0x88b5, 50, 99));
  await settle();
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  assertClean(b.rt);
  const r = readFrames(join(dir, 'two.pcapng'));
  assert.deepEqual([...r.names].sort(), ['A/eth0/tsndis.capture@miniport', 'A/eth0/tsndis.capture@tsndis.counters']);
  for (let id = 0; id < 2; id++) {
    const mine = r.frames.filter((f) => f.interfaceId === id);
    assert.deepEqual(mine.filter((f) => f.direction === 2).map((f) => hex(f.data)), frames.map(hex), `interface ${r.names[id]}`);
    assert.equal(mine.filter((f) => f.direction === 1).length, 1);
  }
  rmSync(dir, { recursive: true });
});

test('capture: a queue far smaller than the burst drops and counts; the traffic is untouched', async () => {
  const dir = tempDir('capture');
  const wire = uniqueWire();
  const a = await captureHost({ name: 'A', wire, capture: { File: join(dir, 'bp'), QueueFrames: 8 } });
  const b = await captureHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  const total = 1000;
  for (let sent = 0; sent < total; sent += 250) {
    const burst = Array.from({ length: 250 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 100, sent + i));
    assert.equal(a.raw.endpoint('eth0').sendBatch(burst), 250);
    await settle();
  }
  let received = 0;
  while (b.raw.endpoint('eth0').tryReceive() !== null) received++;
  assert.equal(received, total, 'every frame reached B');
  const m = captureModules(a)[0]!;
  const { captured, dropped } = m.counters;
  assert.equal(captured + dropped, total);
  assert.ok(dropped >= total - 4 * 8 * 2, `dropped ${dropped}`);
  assert.ok(captured >= 8);
  assert.ok((m.inspect()['queuedBytes'] as number) <= m.file!.ring.capacityBytes);
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  assertClean(b.rt);
  assert.equal(readFrames(join(dir, 'bp.pcapng')).frames.length, captured);
  rmSync(dir, { recursive: true });
});

test('capture: rotation keeps every file ≤ MaxFileBytes, all readable, newest in <File>.pcapng', async () => {
  const dir = tempDir('capture');
  const wire = uniqueWire();
  const maxFileBytes = 4096;
  const a = await captureHost({ name: 'A', wire, capture: { File: join(dir, 'rot'), MaxFileBytes: maxFileBytes, MaxFiles: 100 } });
  const b = await captureHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  const sent = Array.from({ length: 300 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 46 + (i % 50), i));
  for (let i = 0; i < sent.length; i += 30) {
    a.raw.endpoint('eth0').sendBatch(sent.slice(i, i + 30));
    await settle();
  }
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  const files = readdirSync(dir).filter((n) => n.startsWith('rot'));
  assert.ok(files.length >= 5, `${files.length} files`);
  const ordered = ['rot.pcapng', ...Array.from({ length: files.length - 1 }, (_, i) => `rot.${i + 1}.pcapng`)].reverse();
  assert.deepEqual([...files].sort(), [...ordered].sort());
  const all: Uint8Array[] = [];
  for (const name of ordered) {
    assert.ok(statSync(join(dir, name)).size <= maxFileBytes, `${name} is ${statSync(join(dir, name)).size} bytes`);
    const r = readFrames(join(dir, name));
    assert.deepEqual(r.names, ['A/eth0/tsndis.capture@miniport'], `${name} starts with its interface`);
    all.push(...r.frames.map((f) => f.data));
  }
  assert.deepEqual(all.map(hex), sent.map(hex), 'oldest file first, nothing lost, nothing twice');
  rmSync(dir, { recursive: true });
});

test('capture: pause completes only when what was captured is in the file', async () => {
  const dir = tempDir('capture');
  const wire = uniqueWire();
  const a = await captureHost({ name: 'A', wire, capture: { File: join(dir, 'p') } });
  const b = await captureHost({ name: 'B', wire });
  const sent = Array.from({ length: 64 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 1000, i));
  a.raw.endpoint('eth0').sendBatch(sent);
  await a.rt.pauseStack('eth0');
  assert.equal(readFrames(join(dir, 'p.pcapng')).frames.length, 64, 'flushed before the pause completed');
  await a.rt.restartStack('eth0');
  a.raw.endpoint('eth0').send(sent[0]!);
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  assertClean(b.rt);
  assert.equal(readFrames(join(dir, 'p.pcapng')).frames.length, 65);
  rmSync(dir, { recursive: true });
});

test('capture: write errors are counted and logged, never thrown into the data path', async () => {
  const dir = tempDir('capture');
  const wire = uniqueWire();
  const log = new LogLines();
  const a = await captureHost({ name: 'A', wire, capture: { File: join(dir, 'err'), MaxFileBytes: 2048, MaxFiles: 3 }, log });
  const b = await captureHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  await a.rt.pauseStack('eth0'); // headers on disk
  await a.rt.restartStack('eth0');
  rmSync(dir, { recursive: true }); // the first rotation cannot create the next file
  for (let i = 0; i < 10; i++) {
    a.raw.endpoint('eth0').sendBatch(Array.from({ length: 30 }, (_, k) => frame(macOf(b), macOf(a), 0x88b5, 100, i * 30 + k)));
    await settle();
  }
  let received = 0;
  while (b.raw.endpoint('eth0').tryReceive() !== null) received++;
  assert.equal(received, 300);
  const module = captureModules(a)[0]!;
  await a.rt.pauseStack('eth0'); // the writer went through the queue (pause waits for it)
  const info = module.inspect();
  assert.ok((info['writeErrors'] as number) > 0, JSON.stringify(info));
  assert.ok((info['framesLost'] as number) > 0);
  assert.equal(a.raw.endpoint('eth0').counters.sendFailed, 0);
  assert.ok(log.matching(/^error A\/eth0\/tsndis\.capture@miniport: capture file .*err\.pcapng: open failed \(ENOENT\)/).length >= 1, log.lines.join('\n'));
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  assertClean(b.rt);
  assert.equal(existsSync(dir), false);
});

test('capture: an unusable File fails the (optional) attach with a logged reason; the stack runs without it', async () => {
  const wire = uniqueWire();
  const log = new LogLines();
  const a = await captureHost({ name: 'A', wire, capture: { File: '/nonexistent-tsndis-dir/cap' }, log });
  const b = await captureHost({ name: 'B', wire });
  assert.equal(captureModules(a).length, 0);
  assert.equal(log.matching(/cannot create \/nonexistent-tsndis-dir\/cap\.pcapng/).length, 1, log.lines.join('\n'));
  assert.ok(a.raw.endpoint('eth0').send(frame(macOf(b), macOf(a), 0x88b5, 46)));
  await settle();
  assert.notEqual(b.raw.endpoint('eth0').tryReceive(), null);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});

test('capture: File names', () => {
  assert.equal(captureBasePath('/tmp/x.pcapng', 'h/eth0'), '/tmp/x');
  assert.equal(captureBasePath('/tmp/x', 'h/eth0'), '/tmp/x');
  assert.equal(captureBasePath('', 'host A/eth0'), 'tsndis-host-A-eth0');
});
