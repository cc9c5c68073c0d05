/**
 * CaptureFile: blocks committed to its ring reach the file in order behind the section header and the
 * interface blocks; rotation keeps every file ≤ maxFileBytes (plus at most one block), each a complete
 * pcapng; write errors are counted and logged and never stop producers or flush waiters.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CaptureFile,
  DIRECTION_OUTBOUND,
  EPB_DATA_OFFSET,
  TimestampHalves,
  enhancedPacketBlockLength,
  finishEnhancedPacketBlock,
  interfaceDescriptionBlock,
  readCapture,
  sectionHeaderBlock,
  timeToUnits,
  writeEnhancedPacketHeader,
} from '../../../src/io/pcapng/index.js';
import { ethFrame, toHex } from './helpers.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tsndis-capfile-'));
}

function open(base: string, o: Partial<{ maxFileBytes: number; maxFiles: number; queueBlocks: number; log: (l: string, m: string) => void }> = {}): CaptureFile {
  const r = CaptureFile.open({
    basePath: base,
    maxFileBytes: o.maxFileBytes ?? 0,
    maxFiles: o.maxFiles ?? 4,
    queueBytes: 64 * 1024,
    queueBlocks: o.queueBlocks ?? 1024,
    sectionHeader: sectionHeaderBlock({ userApplication: 'test' }),
    ...(o.log === undefined ? {} : { log: o.log }),
  });
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.file;
}

/** Encodes one EPB into the file's ring; false when the ring is full. */
function put(file: CaptureFile, interfaceId: number, seconds: number, data: Uint8Array): boolean {
  const ring = file.ring;
  const total = enhancedPacketBlockLength(data.length, DIRECTION_OUTBOUND);
  const at = ring.reserve(total);
  if (at < 0) return false;
  const ts = new TimestampHalves();
  timeToUnits(seconds, 0, 9, ts);
  writeEnhancedPacketHeader(ring.bytes, at, interfaceId, ts.high, ts.low, data.length, data.length);
  ring.bytes.set(data, at + EPB_DATA_OFFSET);
  finishEnhancedPacketBlock(ring.bytes, at, data.length, DIRECTION_OUTBOUND);
  ring.commit(total);
  return true;
}

function flushed(file: CaptureFile): Promise<void> {
  return new Promise((resolve) => {
    if (file.whenFlushed(resolve)) resolve();
  });
}

const idb = (name: string): Uint8Array => interfaceDescriptionBlock({ linkType: 1, snapLength: 0, name, tsresol: 9 });

test('CaptureFile: header, interfaces (one added mid-stream) and packets, in order', async () => {
  const dir = tempDir();
  const file = open(join(dir, 'cap'));
  assert.equal(file.addInterface(idb('first')), 0);
  for (let i = 0; i < 10; i++) assert.ok(put(file, 0, i, ethFrame(i)));
  file.kick();
  await flushed(file);
  assert.equal(file.addInterface(idb('second')), 1);
  for (let i = 10; i < 20; i++) assert.ok(put(file, 1, i, ethFrame(i)));
  file.kick();
  await flushed(file);
  await file.close();
  const r = readCapture(readFileSync(join(dir, 'cap.pcapng')));
  assert.equal(r.error, null);
  assert.deepEqual(r.interfaces.map((i) => i.name), ['first', 'second']);
  assert.deepEqual(r.frames.map((f) => [f.interfaceId, f.seconds, f.direction]), Array.from({ length: 20 }, (_, i) => [i < 10 ? 0 : 1, i, 2]));
  assert.deepEqual(r.frames.map((f) => toHex(f.data)), Array.from({ length: 20 }, (_, i) => toHex(ethFrame(i))));
  assert.deepEqual([file.counters.framesWritten, file.counters.writeErrors, file.counters.framesLost], [20, 0, 0]);
  rmSync(dir, { recursive: true });
});

test('CaptureFile: an idle capture still is a valid pcapng (header and interface only)', async () => {
  const dir = tempDir();
  const file = open(join(dir, 'idle'));
  file.addInterface(idb('x'));
  await flushed(file);
  await file.close();
  const r = readCapture(readFileSync(join(dir, 'idle.pcapng')));
  assert.deepEqual([r.error, r.frames.length, r.interfaces.length], [null, 0, 1]);
  rmSync(dir, { recursive: true });
});

test('CaptureFile: rotation keeps files ≤ maxFileBytes, each complete, newest in <base>.pcapng, maxFiles kept', async () => {
  const dir = tempDir();
  const base = join(dir, 'rot');
  const maxFileBytes = 1500;
  const file = open(base, { maxFileBytes, maxFiles: 3 });
  file.addInterface(idb('r'));
  const blockLen = enhancedPacketBlockLength(60, DIRECTION_OUTBOUND);
  for (let i = 0; i < 100; i++) {
    assert.ok(put(file, 0, i, ethFrame(i)));
    if (i % 7 === 0) {
      file.kick();
      await flushed(file);
    }
  }
  file.kick();
  await flushed(file);
  await file.close();
  assert.deepEqual(readdirSync(dir).sort(), ['rot.1.pcapng', 'rot.2.pcapng', 'rot.pcapng']);
  const seen: number[][] = [];
  for (const name of ['rot.2.pcapng', 'rot.1.pcapng', 'rot.pcapng']) {
    const size = statSync(join(dir, name)).size;
    assert.ok(size <= maxFileBytes, `${name}: ${size} bytes > ${maxFileBytes}`);
    const r = readCapture(readFileSync(join(dir, name)));
    assert.equal(r.error, null, name);
    assert.deepEqual(r.interfaces.map((i) => i.name), ['r']);
    assert.ok(r.frames.length > 0);
    seen.push(r.frames.map((f) => f.seconds));
  }
  const all = seen.flat();
  assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => 100 - all.length + i), 'the kept files hold the newest frames, oldest file first');
  const perFile = Math.floor((maxFileBytes - 0) / blockLen);
  assert.ok(file.counters.filesRotated >= Math.floor(100 / perFile) - 1, `rotated ${file.counters.filesRotated} times`);
  assert.equal(file.counters.framesWritten, 100);
  rmSync(dir, { recursive: true });
});

test('CaptureFile: a block larger than maxFileBytes still gets a file of its own', async () => {
  const dir = tempDir();
  const file = open(join(dir, 'big'), { maxFileBytes: 100, maxFiles: 5 });
  file.addInterface(idb('b'));
  for (let i = 0; i < 3; i++) put(file, 0, i, ethFrame(i, 200));
  file.kick();
  await flushed(file);
  await file.close();
  for (const name of ['big.pcapng', 'big.1.pcapng', 'big.2.pcapng']) assert.equal(readCapture(readFileSync(join(dir, name))).frames.length, 1, name);
  rmSync(dir, { recursive: true });
});

test('CaptureFile: write errors are counted and logged once, frames are lost, flush waiters still run', async () => {
  const dir = tempDir();
  const logs: string[] = [];
  const file = open(join(dir, 'gone'), { maxFileBytes: 1000, maxFiles: 2, log: (l, m) => logs.push(`${l}: ${m}`) });
  file.addInterface(idb('g'));
  await flushed(file);
  rmSync(dir, { recursive: true }); // the next rotation cannot create files any more
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 40; i++) put(file, 0, i, ethFrame(i));
    file.kick();
    await flushed(file);
  }
  assert.ok(file.counters.writeErrors > 0);
  assert.ok(file.counters.framesLost > 0);
  assert.equal(file.counters.framesWritten + file.counters.framesLost, 120);
  assert.equal(file.ring.usedBytes, 0, 'nothing stays queued');
  assert.ok(logs.length >= 1 && logs.length <= 3, `logged ${logs.length} times: ${logs.join(' | ')}`);
  assert.match(logs[0]!, /^error: capture file .*gone\.pcapng: open failed \(ENOENT\)/);
  await file.close();
  assert.equal(existsSync(dir), false);
});

test('CaptureFile: opening in a missing directory fails with the errno, synchronously', () => {
  const r = CaptureFile.open({ basePath: '/nonexistent-tsndis/x', maxFileBytes: 0, maxFiles: 1, queueBytes: 1024, queueBlocks: 4, sectionHeader: sectionHeaderBlock() });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'ENOENT');
});
