/**
 * TAP miniport against the Linux kernel: the other end of the TAP lives in a network namespace.
 * (a) ARP, ICMP and UDP frames the kernel sends reach the raw protocol byte-exact (compared with what
 *     tcpdump saw leave the kernel), and frames the raw protocol sends are seen by tcpdump byte-exact;
 *     the kernel answers our echo request, so our frames are valid on the wire.
 * Also: deleting the TAP from outside under traffic ends in a surprise removal with full pools.
 * Each runs with every read()/write() receive design and with io_uring (`IoUring: on`), whose ring
 * counters must have moved: the ring did the I/O, not the fallback.
 * Needs root, /dev/net/tun, ip, tcpdump and ping; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import { probeIoUring } from '../../src/io/tun/uring.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import { arp, ethernet, hex, icmpEcho, ip4, ipv4, mac, udp } from '../support/frames.js';
import { assertClean } from '../support/hosts.js';
import { Netns, interopSkipReason, uniqueName, waitExit } from '../support/netns.js';
import { readPcapFrames } from '../support/pcap-lite.js';

const OUR_MAC = '02:00:00:00:5e:02';
const KERNEL_MAC = '02:00:00:00:5e:01';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Env {
  rt: NdisRuntime;
  raw: RawProtocol;
  ns: Netns;
  tap: string;
  dir: string;
  subnet: number;
  cleanup(): Promise<void>;
}

let subnetSerial = 0;

/** The TAP's I/O path: a read()/write() receive design, or io_uring. */
interface IoVariant {
  name: string;
  keywords: Record<string, string>;
  ring: boolean;
}

async function setup(io: IoVariant): Promise<Env> {
  const subnet = 40 + ((process.pid + subnetSerial++) % 200);
  const tap = uniqueName('tap');
  const rt = new NdisRuntime({ name: 'tapHost', scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, receiveQueueDepth: 4096 }); // promiscuous
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tap, NetworkAddress: OUR_MAC, ...io.keywords } });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const ns = Netns.create();
  ns.adopt(tap, { mac: KERNEL_MAC, address: `198.18.${subnet}.1/24` });
  ns.ip('neigh', 'replace', `198.18.${subnet}.2`, 'lladdr', OUR_MAC, 'dev', tap, 'nud', 'permanent');
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-tap-'));
  return {
    rt,
    raw,
    ns,
    tap,
    dir,
    subnet,
    async cleanup() {
      ns.destroy();
      await rt.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts tcpdump on the TAP inside the namespace and resolves once it is listening. */
async function startCapture(env: Env, file: string): Promise<{ stop(): Promise<Uint8Array[]>; log: () => string }> {
  // --immediate-mode: otherwise frames wait in tcpdump's capture ring until a block times out, and the ones
  // still there at SIGINT are counted as "received by filter" but never written. No BPF filter: frames are
  // filtered in JavaScript (ARP and IPv4 only) on both sides.
  const child = env.ns.spawn('tcpdump', ['-i', env.tap, '--immediate-mode', '-U', '-n', '-w', file]);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('tcpdump did not start within 5 s')), 5000);
    child.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  await sleep(100);
  return {
    log: () => log,
    async stop() {
      await sleep(300);
      child.kill('SIGINT');
      await waitExit(child, 5000);
      return readPcapFrames(file).filter(isIpv4OrArp);
    },
  };
}

function isIpv4OrArp(f: Uint8Array): boolean {
  const type = (f[12]! << 8) | f[13]!;
  return type === 0x0806 || type === 0x0800;
}

/** Frames the raw protocol received so far that are ARP or IPv4 (IPv6 housekeeping is left out). */
function drainIpv4Arp(env: Env): Uint8Array[] {
  const ep = env.raw.endpoint('eth0');
  const out: Uint8Array[] = [];
  for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) if (isIpv4OrArp(f)) out.push(f);
  return out;
}

function skipUnlessInterop(t: TestContext, io?: IoVariant): boolean {
  const uring = io?.ring === true ? probeIoUring() : null;
  const reason = interopSkipReason('tcpdump', 'ping', 'bash') ?? (uring !== null && !uring.usable ? `io_uring is unavailable: ${uring.reason}` : null);
  if (reason !== null) {
    t.skip(reason);
    return true;
  }
  return false;
}

/** The ring did the I/O: it is on, reads came through it and writes went through it. */
function assertRingUsed(env: Env, io: IoVariant, writes: boolean): void {
  const adapter = env.rt.adapter('eth0').instance as TapAdapter;
  const u = adapter.inspect()['ioUring'] as Record<string, number | string>;
  if (!io.ring) {
    assert.notEqual(u['state'], 'on');
    return;
  }
  assert.equal(adapter.readerMode, 'uring');
  assert.equal(u['state'], 'on');
  assert.ok((u['completions'] as number) > 0 && (u['submissions'] as number) > 0 && (u['rxArms'] as number) > 0, JSON.stringify(u));
  if (writes) assert.ok((u['batches'] as number) > 0, JSON.stringify(u));
  assert.equal(u['fallbacks'], 0, 'nothing went by write(2)');
}

// Every receive design: a worker reading into posted buffers, a worker reporting readiness ('poll'),
// libuv's own epoll with no worker ('uv'); and io_uring (what 'auto' picks on the main thread).
const variants: IoVariant[] = [
  { name: 'ReaderMode poll', keywords: { ReaderMode: 'poll' }, ring: false },
  { name: 'ReaderMode uv', keywords: { ReaderMode: 'uv', IoUring: 'off' }, ring: false },
  { name: 'ReaderMode worker', keywords: { ReaderMode: 'worker' }, ring: false },
  { name: 'IoUring on', keywords: { IoUring: 'on' }, ring: true },
];

for (const io of variants) {
  test(`TAP interop (${io.name}): ARP, ICMP and UDP sent by the kernel reach the raw protocol byte-exact`, async (t) => {
    if (skipUnlessInterop(t, io)) return;
    const env = await setup(io);
    try {
      drainIpv4Arp(env);
      const cap = await startCapture(env, join(env.dir, 'from-kernel.pcap'));
      const s = env.subnet;
      // An echo request to the address behind tsndis (static neighbour: no ARP needed) …
      try {
        env.ns.exec('ping', '-c', '1', '-W', '1', `198.18.${s}.2`);
      } catch {
        // nobody answers: tsndis runs no IP stack here
      }
      // … a UDP datagram …
      env.ns.exec('bash', '-c', `echo -n tsndis-interop > /dev/udp/198.18.${s}.2/9999`);
      // … and an ARP request (an address without a neighbour entry).
      try {
        env.ns.exec('ping', '-c', '1', '-W', '1', `198.18.${s}.3`);
      } catch {
        // unanswered
      }
      const seenByKernel = await cap.stop();
      await sleep(100);
      const got = drainIpv4Arp(env);
      assert.ok(seenByKernel.length >= 3, `tcpdump saw ${seenByKernel.length} frames`);
      // The kernel may retry its ARP request after tcpdump stopped: the raw protocol's frames start with
      // exactly what tcpdump saw, and anything after is such a retry.
      assert.deepEqual(got.slice(0, seenByKernel.length).map(hex), seenByKernel.map(hex), 'the raw protocol received exactly what the kernel sent');
      for (const extra of got.slice(seenByKernel.length)) assert.equal(extra[12] === 0x08 && extra[13] === 0x06, true, `unexpected extra frame ${hex(extra)}`);
      // And the frames are the ones we asked for.
      const types: string[] = got.map((f) => (f[12] === 0x08 && f[13] === 0x06 ? 'arp' : f[23] === 1 ? 'icmp' : f[23] === 17 ? 'udp' : 'other'));
      for (const want of ['icmp', 'udp', 'arp']) assert.ok(types.includes(want), `expected a ${want} frame, got ${types.join(',')}`);
      const arpFrame = got.find((f) => f[12] === 0x08 && f[13] === 0x06)!;
      assert.equal(hex(arpFrame.subarray(0, 42)), hex(ethernet(mac('ff:ff:ff:ff:ff:ff'), mac(KERNEL_MAC), 0x0806, arp(1, mac(KERNEL_MAC), ip4(`198.18.${s}.1`), new Uint8Array(6), ip4(`198.18.${s}.3`)))));
      const udpFrame = got.find((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === 17)!;
      assert.equal(Buffer.from(udpFrame.subarray(42)).toString(), 'tsndis-interop');
      assertRingUsed(env, io, false);
    } finally {
      await env.cleanup();
    }
    assertClean(env.rt);
  });

  test(`TAP interop (${io.name}): frames the raw protocol sends are seen by tcpdump byte-exact, and the kernel answers`, async (t) => {
    if (skipUnlessInterop(t, io)) return;
    const env = await setup(io);
    try {
      const s = env.subnet;
      const ours = mac(OUR_MAC);
      const kernel = mac(KERNEL_MAC);
      const me = ip4(`198.18.${s}.2`);
      const it = ip4(`198.18.${s}.1`);
      const sent = [
        ethernet(kernel, ours, 0x0806, arp(2, ours, me, kernel, it)),
        ethernet(kernel, ours, 0x0800, ipv4(me, it, 1, icmpEcho(8, 0x4242, 1, new TextEncoder().encode('tsndis echo payload')), 0x0101)),
        ethernet(kernel, ours, 0x0800, ipv4(me, it, 17, udp(me, it, 5555, 9, new TextEncoder().encode('to the discard port')), 0x0102)),
      ];
      const cap = await startCapture(env, join(env.dir, 'to-kernel.pcap'));
      drainIpv4Arp(env);
      const ep = env.raw.endpoint('eth0');
      for (const f of sent) assert.ok(ep.send(f));
      await sleep(200);
      const captured = await cap.stop();
      const fromUs = captured.filter((f) => hex(f.subarray(6, 12)) === hex(ours));
      assert.deepEqual(fromUs.map(hex), sent.map(hex), 'tcpdump saw exactly our frames');
      assert.equal(ep.counters.sendCompleted, 3);
      const replies = drainIpv4Arp(env).filter((f) => f[23] === 1 && f[34] === 0);
      assert.equal(replies.length, 1, 'the kernel answered our echo request');
      const reply = replies[0]!;
      assert.equal(hex(reply.subarray(38, 42)), '42420001', 'same identifier and sequence');
      assert.equal(Buffer.from(reply.subarray(42)).toString(), 'tsndis echo payload');
      assertRingUsed(env, io, true);
    } finally {
      await env.cleanup();
    }
    assertClean(env.rt);
  });

  test(`TAP interop (${io.name}): deleting the TAP from outside under traffic is a surprise removal with full pools`, async (t) => {
    if (skipUnlessInterop(t, io)) return;
    const env = await setup(io);
    let removedAfterMs = -1;
    try {
      const ep = env.raw.endpoint('eth0');
      const ours = mac(OUR_MAC);
      const kernel = mac(KERNEL_MAC);
      const s = env.subnet;
      const frame = ethernet(kernel, ours, 0x0800, ipv4(ip4(`198.18.${s}.2`), ip4(`198.18.${s}.1`), 17, udp(ip4(`198.18.${s}.2`), ip4(`198.18.${s}.1`), 5555, 9, new Uint8Array(64))));
      // Traffic both ways: a flood from the kernel side and our own sends.
      const flood = env.ns.spawn('ping', ['-f', '-c', '100000', '-w', '5', '-s', '200', `198.18.${s}.2`]);
      const start = Date.now();
      let deleted = false;
      while (Date.now() - start < 5000) {
        for (let i = 0; i < 16; i++) ep.send(frame);
        await sleep(5);
        if (!deleted && Date.now() - start > 300) {
          env.ns.ip('link', 'del', env.tap);
          deleted = true;
        }
        if (deleted && !env.rt.adapters.has('tapHost/eth0')) {
          removedAfterMs = Date.now() - start;
          break;
        }
      }
      flood.kill('SIGKILL');
      assert.ok(removedAfterMs > 0, 'the adapter was surprise-removed after the TAP disappeared');
      const adapter = ep.counters;
      assert.ok(adapter.framesSent > 0);
      assert.equal(env.rt.verifier.total, 0);
    } finally {
      await env.cleanup();
    }
    assertClean(env.rt);
  });
}

for (const explicit of [false, true]) {
  test(`TAP interop: in a worker thread the adapter reads with 'poll' (ReaderMode ${explicit ? "'uv' asked for: a warning" : "'auto': silently"}) and receives`, async (t) => {
    if (skipUnlessInterop(t)) return;
    const tap = uniqueName('tpw');
    const keywords: Record<string, string> = { InterfaceName: tap, NetworkAddress: OUR_MAC };
    if (explicit) keywords['ReaderMode'] = 'uv';
    const worker = new Worker(new URL('../support/tap-in-worker.js', import.meta.url), { workerData: { keywords } });
    const messages: { type: string; [k: string]: unknown }[] = [];
    const waitFor = (type: string, ms: number): Promise<{ type: string; [k: string]: unknown }> =>
      new Promise((resolve, reject) => {
        const found = messages.find((m) => m.type === type);
        if (found !== undefined) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`no '${type}' from the worker within ${ms} ms: ${JSON.stringify(messages)}`)), ms);
        const on = (m: { type: string }): void => {
          if (m.type !== type) return;
          clearTimeout(timer);
          worker.off('message', on);
          resolve(m);
        };
        worker.on('message', on);
      });
    worker.on('message', (m: { type: string }) => messages.push(m));
    const ns = Netns.create();
    try {
      const up = await waitFor('up', 10_000);
      assert.equal(up['readerMode'], 'poll');
      const warnings = up['warnings'] as string[];
      if (explicit) assert.ok(warnings.some((w) => /ReaderMode 'uv' needs the main thread.*worker thread.*using 'poll'/.test(w)), JSON.stringify(warnings));
      else assert.deepEqual(warnings, []);
      ns.adopt(tap, { mac: KERNEL_MAC, address: '198.18.251.1/24' });
      ns.ip('neigh', 'replace', '198.18.251.2', 'lladdr', OUR_MAC, 'dev', tap, 'nud', 'permanent');
      ns.exec('bash', '-c', 'echo -n from-the-kernel > /dev/udp/198.18.251.2/9999');
      const got = await waitFor('udp', 10_000);
      assert.equal(got['payload'], 'from-the-kernel');
      worker.postMessage('stop');
      const down = await waitFor('down', 10_000);
      assert.equal(down['violations'], 0);
    } finally {
      ns.destroy();
      await worker.terminate();
    }
  });
}

test('TAP: without permission or /dev/net/tun the adapter fails initialization with a clear message', async (t) => {
  // Exercise the failure path everywhere: an interface name the kernel rejects.
  if (process.getuid?.() !== 0) {
    const rt = new NdisRuntime({ name: 'h', scheduler: new RealScheduler() });
    rt.registerDriver(tapMiniport);
    await assert.rejects(rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: 'tsnperm0' } }), /CAP_NET_ADMIN|\/dev\/net\/tun/);
    assertClean(rt);
    return;
  }
  const rt = new NdisRuntime({ name: 'h', scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  await assert.rejects(rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: 'bad name!' } }), /MiniportInitializeEx failed.*TAP/);
  assert.equal(rt.adapters.size, 0);
  assertClean(rt);
  t.diagnostic('running as root: checked the failure path with an invalid interface name');
});

export type { TapAdapter };
