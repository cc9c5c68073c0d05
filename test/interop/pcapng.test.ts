/**
 * pcapng against the real tools.
 * (a) A capture written by tsndis.capture (two hosts on a virtual wire, a few hundred frames both ways)
 *     is read by tshark with nothing on stderr, with the same frames: count, lengths, MD5 of the bytes,
 *     directions and interface name. Rotated files each read cleanly too. Needs tshark.
 * (b) Captures made by the kernel's side of a veth pair in network namespaces — classic pcap from
 *     tcpdump, converted to pcapng by editcap and by tshark, and pcapng captured live by tshark — replay
 *     through tsndis.pcapng: the raw protocol (promiscuous) receives exactly the captured frames, in
 *     order. Needs root, ip, ping, tcpdump, tshark, editcap.
 * Every test skips with the reason when what it needs is missing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { captureFilesClosed } from '../../src/drivers/filter/capture/index.js';
import { readCapture } from '../../src/io/pcapng/index.js';
import { assertClean, frame, macOf, settle, shutdownAll, uniqueWire } from '../support/hosts.js';
import { Netns, interopSkipReason, sh, shQuiet, uniqueName, waitExit, which } from '../support/netns.js';
import { readPcapFrames } from '../support/pcap-lite.js';
import { captureHost, receiveFrames, replayHost, tempDir } from '../support/pcapng-hosts.js';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * tshark as root always prints this one line on stderr (it is about privileges, not about the file);
 * everything else on stderr is a warning about the file and fails the test.
 */
const ROOT_NOTICE = /^Running as user "root" and group "root"\. This could be dangerous\.$/;

interface TsharkFrame {
  len: number;
  capLen: number;
  md5: string;
  direction: number;
  iface: string;
}

function tshark(file: string): Promise<{ frames: TsharkFrame[]; stderr: string[] }> {
  const args = ['-r', file, '-o', 'frame.generate_md5_hash:TRUE', '-T', 'fields', '-E', 'separator=/t',
    '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.md5_hash', '-e', 'frame.packet_flags_direction', '-e', 'frame.interface_name'];
  return new Promise((resolve, reject) => {
    execFile('tshark', args, { timeout: 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`tshark -r ${file} failed: ${err.message}\n${stderr}`));
        return;
      }
      const frames = stdout.split('\n').filter((l) => l !== '').map((l) => {
        const [len, capLen, hash, dir, iface] = l.split('\t');
        return { len: Number(len), capLen: Number(capLen), md5: hash ?? '', direction: dir === undefined || dir === '' ? 0 : Number(dir), iface: iface ?? '' };
      });
      resolve({ frames, stderr: stderr.split('\n').filter((l) => l.trim() !== '' && !ROOT_NOTICE.test(l.trim())) });
    });
  });
}

function needTshark(t: TestContext): boolean {
  if (which('tshark')) return false;
  t.skip("needs the 'tshark' command (apt-get install tshark)");
  return true;
}

test('pcapng interop: tshark reads the capture filter’s file without a warning, frame for frame', async (t) => {
  if (needTshark(t)) return;
  const dir = tempDir('tshark');
  const wire = uniqueWire();
  const a = await captureHost({ name: 'A', wire, capture: { File: join(dir, 'a') }, rawOptions: { receiveQueueDepth: 4096 } });
  const b = await captureHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  for (let round = 0; round < 12; round++) {
    a.raw.endpoint('eth0').sendBatch(Array.from({ length: 20 }, (_, i) => frame(macOf(b), macOf(a), 0x0800, 46 + ((round * 97 + i * 13) % 1454), round * 20 + i)));
    b.raw.endpoint('eth0').sendBatch(Array.from({ length: 15 }, (_, i) => frame(macOf(a), macOf(b), 0x86dd, 46 + i * 3, 5000 + round * 15 + i)));
    await settle();
    await a.rt.scheduler.advanceAsync(3);
  }
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  assertClean(b.rt);
  const file = join(dir, 'a.pcapng');
  const ours = readCapture(readFileSync(file));
  assert.equal(ours.error, null);
  assert.equal(ours.frames.length, 12 * 35);
  const { frames, stderr } = await tshark(file);
  assert.deepEqual(stderr, [], 'tshark printed nothing about the file');
  assert.equal(frames.length, ours.frames.length);
  assert.deepEqual(
    frames.map((f) => [f.len, f.capLen, f.md5, f.direction, f.iface]),
    ours.frames.map((f) => [f.data.length, f.data.length, md5(f.data), f.direction, 'A/eth0/tsndis.capture@miniport']),
  );
  assert.equal(frames.filter((f) => f.direction === 2).length, 12 * 20);
  rmSync(dir, { recursive: true });
});

test('pcapng interop: tshark reads every rotated file without a warning; together they hold every frame', async (t) => {
  if (needTshark(t)) return;
  const dir = tempDir('tshark');
  const wire = uniqueWire();
  const maxFileBytes = 8192;
  const a = await captureHost({ name: 'A', wire, capture: { File: join(dir, 'r'), MaxFileBytes: maxFileBytes, MaxFiles: 1000 } });
  const b = await captureHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  const sent = Array.from({ length: 400 }, (_, i) => frame(macOf(b), macOf(a), 0x0800, 46 + (i % 300), i));
  for (let i = 0; i < sent.length; i += 40) {
    a.raw.endpoint('eth0').sendBatch(sent.slice(i, i + 40));
    await settle();
  }
  await shutdownAll(a, b);
  await captureFilesClosed();
  assertClean(a.rt);
  const names = readdirSync(dir).filter((n) => n.endsWith('.pcapng'));
  assert.ok(names.length > 5, `${names.length} files`);
  const oldestFirst = [...names].sort((x, y) => index(y) - index(x));
  const hashes: string[] = [];
  const results = await Promise.all(oldestFirst.map((name) => tshark(join(dir, name))));
  results.forEach(({ frames, stderr }, i) => {
    assert.deepEqual(stderr, [], `${oldestFirst[i]}: tshark printed nothing about the file`);
    hashes.push(...frames.map((f) => f.md5));
  });
  assert.deepEqual(hashes, sent.map(md5));
  rmSync(dir, { recursive: true });
});

function index(name: string): number {
  const m = /\.(\d+)\.pcapng$/.exec(name);
  return m === null ? 0 : Number(m[1]);
}

// ------------------------------------------------------------------------------------------------
// Captures from the kernel, replayed

interface VethPair {
  a: Netns;
  b: Netns;
  ifA: string;
  ipB: string;
  destroy(): void;
}

function vethPair(): VethPair {
  const subnet = 120 + (process.pid % 100);
  const ifA = uniqueName('va');
  const ifB = uniqueName('vb');
  shQuiet('ip', ['link', 'del', ifA]);
  const a = Netns.create();
  const b = Netns.create();
  try {
    sh('ip', ['link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB]);
    a.adopt(ifA, { address: `198.18.${subnet}.1/24` });
    b.adopt(ifB, { address: `198.18.${subnet}.2/24` });
  } catch (e) {
    a.destroy();
    b.destroy();
    shQuiet('ip', ['link', 'del', ifA]);
    throw e;
  }
  return {
    a,
    b,
    ifA,
    ipB: `198.18.${subnet}.2`,
    destroy() {
      a.destroy();
      b.destroy();
      shQuiet('ip', ['link', 'del', ifA]);
    },
  };
}

/** Runs a capture tool in namespace A until it exits after `count` frames while A pings B (all bounded). */
async function captureWhilePinging(pair: VethPair, cmd: string, args: string[], ready: RegExp, pings: number): Promise<void> {
  const child = pair.a.spawn('timeout', ['20', cmd, ...args]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!ready.test(stderr) && Date.now() < deadline && child.exitCode === null) await sleep(20);
  assert.match(stderr, ready, `${cmd} did not start: ${stderr}`);
  await sleep(200);
  try {
    pair.a.exec('ping', '-c', String(pings), '-i', '0.2', '-W', '1', pair.ipB);
  } catch (e) {
    throw new Error(`ping failed: ${(e as Error).message}`);
  }
  const code = await waitExit(child, 10_000);
  assert.equal(code, 0, `${cmd} exited with ${code}: ${stderr}`);
}

async function replayed(file: string, count: number): Promise<Uint8Array[]> {
  const h = await replayHost({ name: 'replay', keywords: { InputFile: file }, realClock: true });
  try {
    const got = await receiveFrames(h.raw, count);
    await sleep(50);
    for (let f = h.raw.endpoint('eth0').tryReceive(); f !== null; f = h.raw.endpoint('eth0').tryReceive()) got.push(f);
    return got;
  } finally {
    await h.rt.shutdown();
    assertClean(h.rt);
  }
}

function needInterop(t: TestContext): boolean {
  const reason = interopSkipReason('ping', 'tcpdump', 'tshark', 'editcap', 'timeout');
  if (reason === null) return false;
  t.skip(reason);
  return true;
}

test('pcapng interop: a tcpdump capture (pcap, and pcapng via editcap and tshark) replays byte for byte', async (t) => {
  if (needInterop(t)) return;
  const dir = tempDir('tcpdump');
  chmodSync(dir, 0o755);
  const pair = vethPair();
  try {
    const pcap = join(dir, 'kernel.pcap');
    // -Z root: tcpdump would otherwise drop to its own user and could not write into our directory.
    await captureWhilePinging(pair, 'tcpdump', ['-i', pair.ifA, '-c', '8', '-U', '-Z', 'root', '-w', pcap], /listening on/, 4);
    const captured = readPcapFrames(pcap);
    assert.equal(captured.length, 8);
    const viaEditcap = join(dir, 'editcap.pcapng');
    sh('editcap', ['-F', 'pcapng', pcap, viaEditcap]);
    const viaTshark = join(dir, 'tshark.pcapng');
    sh('tshark', ['-r', pcap, '-F', 'pcapng', '-w', viaTshark], 30_000);
    for (const file of [pcap, viaEditcap, viaTshark]) {
      const got = await replayed(file, captured.length);
      assert.deepEqual(got.map(hex), captured.map(hex), `${file}: the raw protocol received exactly the captured frames, in order`);
    }
  } finally {
    pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pcapng interop: a pcapng captured live by tshark (with its statistics block) replays byte for byte', async (t) => {
  if (needInterop(t)) return;
  const dir = tempDir('tshark-live');
  chmodSync(dir, 0o755);
  const pair = vethPair();
  try {
    const file = join(dir, 'live.pcapng');
    await captureWhilePinging(pair, 'tshark', ['-i', pair.ifA, '-c', '6', '-w', file], /Capturing on/, 3);
    const ours = readCapture(readFileSync(file));
    assert.equal(ours.error, null);
    assert.equal(ours.format, 'pcapng');
    assert.equal(ours.frames.length, 6);
    assert.equal(ours.interfaces[0]!.name, pair.ifA);
    const got = await replayed(file, 6);
    assert.deepEqual(got.map(hex), ours.frames.map((f) => hex(f.data)));
  } finally {
    pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
