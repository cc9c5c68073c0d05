/**
 * tsndis.pcapng: replay of pcap/pcapng files as receive indications (every frame, in order, byte
 * exact), back-pressure (waits for returns, never drops), the NIC's packet filter, pacing by timestamps
 * on the manual clock (Speed, Loop, pause/restart), bad input counted and logged while the stack keeps
 * running, sends written to OutputFile, and the OIDs.
 */
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ManualScheduler } from '../../src/core/time/scheduler.js';
import { pcapngOutputsClosed, type PcapngAdapter } from '../../src/drivers/miniport/pcapng/index.js';
import {
  concatBytes,
  enhancedPacketBlock,
  interfaceDescriptionBlock,
  readCapture,
  sectionHeaderBlock,
  type Direction,
} from '../../src/io/pcapng/index.js';
import {
  NDIS_STATUS_SUCCESS,
  NdisOidRequest,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_RCV_OK,
  counterCodec,
  packetFilterCodec,
} from '../../src/ndis/index.js';
import { assertClean, settle } from '../support/hosts.js';
import { LogLines, receiveFrames, replayHost, tempDir } from '../support/pcapng-hosts.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const T0 = 1_700_000_000;

function ethFrame(dst: readonly number[], seed: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set([0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5], 6);
  for (let i = 14; i < length; i++) f[i] = (seed * 7 + i) & 0xff;
  return f;
}

const OTHER = [0x02, 0, 0, 0, 0, 0x42];

/** Waits (real time, bounded) until the replay has ended: the end of file is seen by one more read. */
async function finished(adapter: PcapngAdapter): Promise<void> {
  for (let i = 0; i < 500 && !adapter.finished; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(adapter.finished, true, 'the replay ended');
}

interface Rec {
  data: Uint8Array;
  offsetMs?: number;
  interfaceId?: number;
  originalLength?: number;
  direction?: Direction;
}

/** Writes a pcapng of Ethernet frames (interface 0 unless said otherwise) timed at `offsetMs` after T0. */
function writeCapture(path: string, recs: readonly Rec[], extraInterfaces: { linkType: number }[] = []): string {
  const parts = [sectionHeaderBlock(), ...extraInterfaces.map((i) => interfaceDescriptionBlock({ linkType: i.linkType, snapLength: 0, tsresol: 9 })), interfaceDescriptionBlock({ linkType: 1, snapLength: 0, tsresol: 9 })];
  const eth = extraInterfaces.length;
  for (const r of recs) {
    const ns = Math.round((r.offsetMs ?? 0) * 1e6);
    parts.push(enhancedPacketBlock({ interfaceId: r.interfaceId ?? eth, seconds: T0 + Math.floor(ns / 1e9), nanoseconds: ns % 1e9, tsresol: 9, data: r.data, originalLength: r.originalLength ?? r.data.length, direction: r.direction ?? 1 }));
  }
  writeFileSync(path, concatBytes(parts));
  return path;
}

function drain(raw: { endpoint(n: string): { tryReceive(): Uint8Array | null } }): Uint8Array[] {
  const ep = raw.endpoint('eth0');
  const out: Uint8Array[] = [];
  for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) out.push(f);
  return out;
}

test('pcapng miniport: replays every frame in order, byte exact, as fast as buffers allow', async () => {
  const dir = tempDir('replay');
  const frames = Array.from({ length: 600 }, (_, i) => ethFrame(i % 3 === 0 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : i % 3 === 1 ? OTHER : [0x01, 0, 0x5e, 0, 0, 1], i, 60 + (i % 1400)));
  const input = writeCapture(join(dir, 'in.pcapng'), frames.map((data) => ({ data })));
  const h = await replayHost({ keywords: { InputFile: input } });
  const got = await receiveFrames(h.raw, frames.length);
  assert.deepEqual(got.map(hex), frames.map(hex));
  await settle();
  assert.equal(drain(h.raw).length, 0, 'nothing more');
  await finished(h.adapter);
  const c = h.adapter.counters;
  assert.deepEqual([c.framesIndicated, c.passesCompleted, c.readErrors, c.filteredFrames, c.waitsForBuffers > 0], [600, 1, 0, 0, true]);
  assert.equal(h.adapter.eth.stats.rcvNoBuffer, 0);
  const rcvOk = NdisOidRequest.query(OID_GEN_RCV_OK, 8);
  assert.equal(await h.rt.oid('eth0', rcvOk), NDIS_STATUS_SUCCESS);
  assert.equal(rcvOk.queryResult(counterCodec(OID_GEN_RCV_OK)), 600n);
  const pf = NdisOidRequest.query(OID_GEN_CURRENT_PACKET_FILTER, 4);
  assert.equal(await h.rt.oid('eth0', pf), NDIS_STATUS_SUCCESS);
  assert.equal(pf.queryResult(packetFilterCodec), 0x20);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: an empty receive pool makes the replay wait for returns, not drop', async () => {
  const dir = tempDir('replay');
  const frames = Array.from({ length: 200 }, (_, i) => ethFrame(OTHER, i));
  const input = writeCapture(join(dir, 'bp.pcapng'), frames.map((data) => ({ data })));
  // 16 receive buffers; the raw protocol holds up to 64 NBLs without copying, so the pool runs dry.
  const h = await replayHost({ keywords: { InputFile: input, '*ReceiveBuffers': 16 }, rawOptions: { packetFilter: 0x20, receiveQueueDepth: 64 } });
  const got: Uint8Array[] = [];
  for (let turn = 0; got.length < frames.length && turn < 10_000; turn++) {
    const f = h.raw.endpoint('eth0').tryReceive();
    if (f !== null) got.push(f);
    else await new Promise<void>((r) => setImmediate(r));
  }
  assert.deepEqual(got.map(hex), frames.map(hex));
  assert.ok(h.adapter.counters.waitsForBuffers > 5, `waited ${h.adapter.counters.waitsForBuffers} times`);
  assert.equal(h.raw.endpoint('eth0').counters.receiveDropped, 0);
  assert.equal(h.adapter.eth.stats.rcvNoBuffer, 0);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: the packet filter and multicast list apply as on a NIC', async () => {
  const dir = tempDir('replay');
  const mine = [0x02, 0, 0, 0, 0, 0x99];
  const frames = [ethFrame(mine, 1), ethFrame(OTHER, 2), ethFrame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 3), ethFrame([0x01, 0, 0x5e, 0, 0, 9], 4)];
  const input = writeCapture(join(dir, 'pf.pcapng'), frames.map((data) => ({ data })));
  const h = await replayHost({ keywords: { InputFile: input, NetworkAddress: '02:00:00:00:00:99' }, rawOptions: { packetFilter: 0x0b } });
  const got = await receiveFrames(h.raw, 2);
  assert.deepEqual(got.map(hex), [frames[0]!, frames[2]!].map(hex));
  assert.equal(h.adapter.counters.filteredFrames, 2);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

/** Frames received now (after letting deferred work run), as indices into `frames`. */
async function arrivedNow(h: { raw: Parameters<typeof drain>[0] }, frames: readonly Uint8Array[]): Promise<number[]> {
  await settle();
  return drain(h.raw).map((f) => frames.findIndex((x) => hex(x) === hex(f)));
}

test('pcapng miniport: Pace timestamps delivers each frame at its offset on the manual clock', async () => {
  const dir = tempDir('replay');
  const offsets = [0, 10, 10, 250, 1000];
  const frames = offsets.map((_, i) => ethFrame(OTHER, i));
  const input = writeCapture(join(dir, 'paced.pcapng'), frames.map((data, i) => ({ data, offsetMs: offsets[i]! })));
  const h = await replayHost({ keywords: { InputFile: input, Pace: 'timestamps' } });
  const clock = h.rt.scheduler as ManualScheduler;
  assert.deepEqual((await receiveFrames(h.raw, 1)).map(hex), [hex(frames[0]!)], 'the first frame at once');
  assert.deepEqual(await arrivedNow(h, frames), []);
  await clock.advanceAsync(9);
  assert.deepEqual(await arrivedNow(h, frames), [], 'not before 10 ms');
  await clock.advanceAsync(1);
  assert.deepEqual(await arrivedNow(h, frames), [1, 2], 'both 10 ms frames at 10 ms');
  await clock.advanceAsync(239);
  assert.deepEqual(await arrivedNow(h, frames), []);
  await clock.advanceAsync(1);
  assert.deepEqual(await arrivedNow(h, frames), [3]);
  await clock.advanceAsync(749);
  assert.deepEqual(await arrivedNow(h, frames), []);
  await clock.advanceAsync(1);
  assert.deepEqual(await arrivedNow(h, frames), [4]);
  await finished(h.adapter);
  assert.equal(h.adapter.counters.framesIndicated, 5);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: Speed 2 halves the gaps; Loop 1 plays the file again right after its last frame', async () => {
  const dir = tempDir('replay');
  const offsets = [0, 100, 300];
  const frames = offsets.map((_, i) => ethFrame(OTHER, i));
  const input = writeCapture(join(dir, 'speed.pcapng'), frames.map((data, i) => ({ data, offsetMs: offsets[i]! })));
  const h = await replayHost({ keywords: { InputFile: input, Pace: 'timestamps', Speed: '2', Loop: 1 } });
  const clock = h.rt.scheduler as ManualScheduler;
  await receiveFrames(h.raw, 1);
  await clock.advanceAsync(49);
  assert.deepEqual(await arrivedNow(h, frames), []);
  await clock.advanceAsync(1);
  assert.deepEqual(await arrivedNow(h, frames), [1], 'at 50 ms');
  await clock.advanceAsync(100);
  // The second pass starts when the first pass's last frame was due (150 ms), once the file is re-read.
  const rest = (await receiveFrames(h.raw, 2)).map((f) => frames.findIndex((x) => hex(x) === hex(f)));
  assert.deepEqual(rest, [2, 0], 'last frame of pass 1, first frame of pass 2, both at 150 ms');
  await clock.advanceAsync(49);
  assert.deepEqual(await arrivedNow(h, frames), []);
  await clock.advanceAsync(1);
  assert.deepEqual(await arrivedNow(h, frames), [1]);
  await clock.advanceAsync(100);
  assert.deepEqual(await arrivedNow(h, frames), [2]);
  await finished(h.adapter);
  assert.equal(h.adapter.counters.passesCompleted, 2);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: StartDelayMs holds the first frame back on the runtime clock', async () => {
  const dir = tempDir('replay');
  const frames = [ethFrame(OTHER, 1), ethFrame(OTHER, 2)];
  const input = writeCapture(join(dir, 'delay.pcapng'), frames.map((data) => ({ data })));
  const h = await replayHost({ keywords: { InputFile: input, StartDelayMs: 100 } });
  const clock = h.rt.scheduler as ManualScheduler;
  assert.deepEqual(await receiveFrames(h.raw, 1, 50), [], 'nothing before 100 ms');
  await clock.advanceAsync(99);
  assert.deepEqual(await arrivedNow(h, frames), []);
  await clock.advanceAsync(1);
  assert.deepEqual((await receiveFrames(h.raw, 2)).map(hex), frames.map(hex));
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: pause freezes the timeline, restart resumes it', async () => {
  const dir = tempDir('replay');
  const offsets = [0, 100, 200];
  const frames = offsets.map((_, i) => ethFrame(OTHER, i));
  const input = writeCapture(join(dir, 'pause.pcapng'), frames.map((data, i) => ({ data, offsetMs: offsets[i]! })));
  const h = await replayHost({ keywords: { InputFile: input, Pace: 'timestamps' } });
  const clock = h.rt.scheduler as ManualScheduler;
  await receiveFrames(h.raw, 1);
  await clock.advanceAsync(50);
  await h.rt.pauseStack('eth0');
  await clock.advanceAsync(1000);
  assert.deepEqual(await arrivedNow(h, frames), [], 'nothing while paused');
  await h.rt.restartStack('eth0');
  await clock.advanceAsync(49);
  assert.deepEqual(await arrivedNow(h, frames), []);
  await clock.advanceAsync(1);
  assert.deepEqual(await arrivedNow(h, frames), [1], '100 ms of replay time after the start, 1000 ms paused');
  await clock.advanceAsync(100);
  assert.deepEqual(await arrivedNow(h, frames), [2]);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: Loop -1 replays until the adapter goes away', async () => {
  const dir = tempDir('replay');
  const frames = [ethFrame(OTHER, 1), ethFrame(OTHER, 2), ethFrame(OTHER, 3)];
  const input = writeCapture(join(dir, 'loop.pcapng'), frames.map((data) => ({ data })));
  const h = await replayHost({ keywords: { InputFile: input, Loop: -1 } });
  const got = await receiveFrames(h.raw, 30);
  assert.deepEqual(got.slice(0, 30).map(hex), Array.from({ length: 30 }, (_, i) => hex(frames[i % 3]!)));
  assert.ok(h.adapter.counters.passesCompleted >= 9);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: bad input is skipped with a named counter and a logged reason; the stack keeps running', async () => {
  const dir = tempDir('replay');
  const good = ethFrame(OTHER, 1);
  const cut = ethFrame(OTHER, 2, 60);
  const path = writeCapture(
    join(dir, 'bad.pcapng'),
    [
      { data: ethFrame(OTHER, 3), interfaceId: 0 }, // 802.11 interface
      { data: new Uint8Array(10) }, // runt
      { data: ethFrame(OTHER, 4, 2000) }, // oversize for 1514
      { data: good },
      { data: cut, originalLength: 1000 }, // cut by a snap length: replayed as captured
      { data: ethFrame(OTHER, 5) }, // the file ends inside this one
    ],
    [{ linkType: 105 }],
  );
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 20));
  const log = new LogLines();
  const h = await replayHost({ keywords: { InputFile: path, Loop: 3 }, log });
  const got = await receiveFrames(h.raw, 8);
  assert.deepEqual(got.map(hex), [good, cut, good, cut, good, cut, good, cut].map(hex), 'each of the 4 passes delivers the 2 good frames');
  await finished(h.adapter);
  const c = h.adapter.counters;
  assert.deepEqual(
    { skippedLinkType: c.skippedLinkType, runtFrames: c.runtFrames, oversizeFrames: c.oversizeFrames, snapTruncatedFrames: c.snapTruncatedFrames, readErrors: c.readErrors, passesCompleted: c.passesCompleted },
    { skippedLinkType: 4, runtFrames: 4, oversizeFrames: 4, snapTruncatedFrames: 4, readErrors: 4, passesCompleted: 4 },
  );
  assert.equal(log.matching(/^warn R\/eth0: InputFile .*bad\.pcapng: truncated at offset \d+: the input ends inside a \d+-byte block; this pass ends here$/).length, 4, log.lines.join('\n'));
  for (const what of ['a record of link type 105', 'a 10-byte runt frame', 'a 2000-byte frame']) {
    assert.equal(log.matching(new RegExp(`^warn R/eth0: InputFile .*bad\\.pcapng: skipping ${what}.* at offset \\d+; further ones are counted, not logged$`)).length, 1, what);
  }
  assert.ok(h.raw.endpoint('eth0').send(ethFrame(OTHER, 9)), 'the stack still sends');
  await settle();
  assert.equal(h.raw.endpoint('eth0').counters.sendCompleted, 1);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: a file that is no capture ends the replay with the reason; looping stops when a pass delivers nothing', async () => {
  const dir = tempDir('replay');
  const path = join(dir, 'not.pcapng');
  writeFileSync(path, 'this is not a capture file');
  const log = new LogLines();
  const h = await replayHost({ keywords: { InputFile: path, Loop: -1 }, log });
  await finished(h.adapter);
  assert.equal(h.adapter.finished, true);
  assert.deepEqual([h.adapter.counters.readErrors, h.adapter.counters.passesCompleted], [1, 1]);
  assert.equal(log.matching(/not-a-capture at offset 0/).length, 1, log.lines.join('\n'));
  assert.equal(log.matching(/a pass delivered no frame; looping stops/).length, 1);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: a missing InputFile fails initialization with the reason', async () => {
  await assert.rejects(
    replayHost({ keywords: { InputFile: '/nonexistent-tsndis/in.pcapng' } }),
    /MiniportInitializeEx failed with NDIS_STATUS_FILE_NOT_FOUND: InputFile: cannot open \/nonexistent-tsndis\/in\.pcapng/,
  );
});

test('pcapng miniport: sends go to OutputFile as outbound frames; a full output queue fails sends with RESOURCES', async () => {
  const dir = tempDir('replay');
  const out = join(dir, 'out.pcapng');
  const h = await replayHost({ keywords: { OutputFile: out } });
  const sent = Array.from({ length: 100 }, (_, i) => ethFrame(OTHER, i, 60 + i * 10));
  for (let i = 0; i < sent.length; i += 10) {
    assert.equal(h.raw.endpoint('eth0').sendBatch(sent.slice(i, i + 10)), 10);
    await settle();
  }
  h.raw.endpoint('eth0').send(new Uint8Array(10)); // runt
  await settle();
  assert.equal(h.adapter.counters.framesRecorded, 100);
  assert.equal(h.adapter.eth.stats.xmitErrors, 1);
  assert.equal(h.raw.endpoint('eth0').counters.failedByStatus.get('NDIS_STATUS_INVALID_LENGTH'), 1);
  await h.rt.shutdown();
  await pcapngOutputsClosed();
  assertClean(h.rt);
  const r = readCapture(readFileSync(out));
  assert.equal(r.error, null);
  assert.deepEqual(r.interfaces.map((i) => i.name), ['R/eth0']);
  assert.deepEqual(r.frames.map((f) => hex(f.data)), sent.map(hex));
  assert.ok(r.frames.every((f) => f.direction === 2));

  const small = await replayHost({ keywords: { OutputFile: join(dir, 'small'), OutputQueueFrames: 4 } });
  assert.equal(small.raw.endpoint('eth0').sendBatch(sent.slice(0, 50)), 50);
  await settle();
  assert.equal(small.raw.endpoint('eth0').counters.failedByStatus.get('NDIS_STATUS_RESOURCES'), 46);
  assert.deepEqual([small.adapter.counters.framesRecorded, small.adapter.counters.outputDropped], [4, 46]);
  await small.rt.shutdown();
  await pcapngOutputsClosed();
  assertClean(small.rt);
  assert.equal(readCapture(readFileSync(join(dir, 'small.pcapng'))).frames.length, 4);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: LinkDownAtEnd indicates media disconnected when the replay ends', async () => {
  const dir = tempDir('replay');
  const input = writeCapture(join(dir, 'l.pcapng'), [{ data: ethFrame(OTHER, 1) }]);
  const h = await replayHost({ keywords: { InputFile: input, LinkDownAtEnd: true } });
  assert.equal(h.rt.adapter('eth0').mediaConnected, true);
  await receiveFrames(h.raw, 1);
  await finished(h.adapter);
  assert.equal(h.rt.adapter('eth0').mediaConnected, false);
  h.raw.endpoint('eth0').send(ethFrame(OTHER, 2));
  await settle();
  assert.equal(h.raw.endpoint('eth0').counters.failedByStatus.get('NDIS_STATUS_MEDIA_DISCONNECTED'), 1);
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});

test('pcapng miniport: classic pcap input replays too', async () => {
  const dir = tempDir('replay');
  const { pcapFileHeader, pcapRecord } = await import('../../src/io/pcapng/index.js');
  const frames = [ethFrame(OTHER, 1), ethFrame(OTHER, 2, 1514)];
  const path = join(dir, 'in.pcap');
  writeFileSync(path, concatBytes([pcapFileHeader({ linkType: 1, snapLength: 65535, bigEndian: true }), ...frames.map((data, i) => pcapRecord({ seconds: T0 + i, nanoseconds: 0, data, bigEndian: true }))]));
  const h = await replayHost({ keywords: { InputFile: path } });
  assert.deepEqual((await receiveFrames(h.raw, 2)).map(hex), frames.map(hex));
  await h.rt.shutdown();
  assertClean(h.rt);
  rmSync(dir, { recursive: true });
});
