/**
 * The TAP adapter's io_uring path under bad conditions (the byte-exact interop with the ring on and off
 * is in tap.test.ts):
 *   - `IoUring: on` where io_uring cannot be had, or with an explicit ReaderMode: initialization fails
 *     with the reason; `auto` falls back to read()/write() and says why in the inspector.
 *   - faults injected into the real kernel's ring (a wrapper backend rewrites chosen SQEs into NOPs
 *     that complete with a chosen result, or fails io_uring_enter): a submission the kernel keeps
 *     refusing (frames go by write(2), byte-exact), -ECANCELED and -EBADF write completions (the NBL
 *     fails with SEND_ABORTED; EBADF is a surprise removal), -ECANCELED and -EBADF on the multishot read
 *     (re-armed; a removal). Counters move, pools end full, nothing crashes or hangs.
 * Needs root, /dev/net/tun, ip, tcpdump and ping (skips with the reason otherwise), and an io_uring with
 * IORING_NOP_INJECT_RESULT (Linux 6.10) for the injected completions.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { RealScheduler } from '../../src/core/time/scheduler.js';
import { tapMiniport } from '../../src/drivers/miniport/tap/index.js';
import type { TapAdapter } from '../../src/drivers/miniport/tap/adapter.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import { snapshotRuntime } from '../../src/inspect/snapshot.js';
import { IORING_OP_NOP, IORING_OP_READ_MULTISHOT, IORING_OP_WRITE, IoUringError, kernelBackend, probeIoUring, useUringBackend, type UringBackendFactory } from '../../src/io/tun/uring.js';
import { ethernet, hex, icmpEcho, ip4, ipv4, mac, udp } from '../support/frames.js';
import { assertClean } from '../support/hosts.js';
import { Netns, interopSkipReason, uniqueName, waitExit } from '../support/netns.js';
import { readPcapFrames } from '../support/pcap-lite.js';

const OUR_MAC = '02:00:00:00:5f:02';
const KERNEL_MAC = '02:00:00:00:5f:01';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const IORING_NOP_INJECT_RESULT = 1;

/** What the wrapper does to the next SQEs and calls. */
interface Faults {
  /** The next io_uring_enter calls that submit SQEs fail with this (-errno), this many times. */
  failEnters: number;
  failWith: number;
  /** Per opcode, results the next SQEs of that opcode complete with instead of running. */
  inject: Map<number, number[]>;
}

/**
 * The real kernel's ring, with faults: before each io_uring_enter the SQEs about to be submitted are
 * scanned, and one chosen for a fault becomes IORING_OP_NOP with IORING_NOP_INJECT_RESULT, so the kernel
 * itself posts a CQE with the SQE's tag and the chosen result.
 */
function faultyKernel(f: Faults): UringBackendFactory {
  return (entries, cq, flags) => {
    const real = kernelBackend(entries, cq, flags);
    const p = new DataView(real.params.buffer);
    const ring = new Uint32Array(real.rings);
    const sqe = new Uint32Array(real.sqes);
    const head = p.getUint32(40, true) >> 2;
    const tail = p.getUint32(44, true) >> 2;
    const mask = ring[p.getUint32(48, true) >> 2]!;
    return {
      fd: real.fd,
      params: real.params,
      rings: real.rings,
      sqes: real.sqes,
      register: (op, arg, nr) => real.register(op, arg, nr),
      mapBufferRing: (bytes) => real.mapBufferRing(bytes),
      unmapBufferRing: (a, b) => real.unmapBufferRing(a, b),
      close: () => real.close(),
      enter(toSubmit, minComplete, fl, timeoutNs) {
        if (toSubmit > 0 && f.failEnters > 0) {
          f.failEnters--;
          return f.failWith;
        }
        for (let h = ring[head]!; h !== ring[tail]!; h = (h + 1) >>> 0) {
          const o = (h & mask) * 16;
          const results = f.inject.get(sqe[o]! & 0xff);
          const res = results?.shift();
          if (res === undefined) continue;
          sqe[o] = IORING_OP_NOP;
          sqe[o + 6] = res >>> 0;
          sqe[o + 7] = IORING_NOP_INJECT_RESULT;
          sqe[o + 10] = 0;
        }
        return real.enter(toSubmit, minComplete, fl, timeoutNs);
      },
    };
  };
}

/** Whether NOPs can inject results on this kernel (else the fault tests skip). */
function nopInjects(): boolean {
  const b = kernelBackend(4, 8, 0);
  try {
    const p = new DataView(b.params.buffer);
    const ring = new Uint32Array(b.rings);
    const ringI = new Int32Array(b.rings);
    const s = new Uint32Array(b.sqes);
    ring[(p.getUint32(64, true) >> 2) + 0] = 0;
    s.fill(0, 0, 16);
    s[0] = IORING_OP_NOP;
    s[6] = -7 >>> 0;
    s[7] = IORING_NOP_INJECT_RESULT;
    s[8] = 1234;
    ring[p.getUint32(44, true) >> 2] = 1;
    if (b.enter(1, 1, 1, 0) !== 1) return false;
    const cqe = (p.getUint32(100, true) >> 2) + (ring[p.getUint32(80, true) >> 2]! & ring[p.getUint32(88, true) >> 2]!) * 4;
    return ring[cqe] === 1234 && ringI[cqe + 2] === -7;
  } finally {
    b.close();
  }
}

function skipReason(faults: boolean): string | null {
  const reason = interopSkipReason('tcpdump', 'ping');
  if (reason !== null) return reason;
  const probe = probeIoUring();
  if (!probe.usable) return `io_uring is unavailable: ${probe.reason}`;
  if (faults && !nopInjects()) return 'this kernel has no IORING_NOP_INJECT_RESULT (Linux 6.10) to inject completions with';
  return null;
}

interface Env {
  rt: NdisRuntime;
  raw: RawProtocol;
  ns: Netns;
  tap: string;
  subnet: number;
  logs: string[];
  adapter(): TapAdapter;
  ring(): Record<string, number | string>;
  cleanup(): Promise<void>;
}

let serial = 0;

async function setup(keywords: Record<string, string> = {}): Promise<Env> {
  const subnet = 100 + ((process.pid + serial++) % 100);
  const tap = uniqueName('tur');
  const logs: string[] = [];
  const rt = new NdisRuntime({ name: 'uringHost', scheduler: new RealScheduler(), logger: (level, _s, message) => logs.push(`${level}: ${message}`) });
  rt.registerDriver(tapMiniport);
  const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, receiveQueueDepth: 4096 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tap, NetworkAddress: OUR_MAC, ...keywords } });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const ns = Netns.create();
  ns.adopt(tap, { mac: KERNEL_MAC, address: `198.18.${subnet}.1/24` });
  ns.ip('neigh', 'replace', `198.18.${subnet}.2`, 'lladdr', OUR_MAC, 'dev', tap, 'nud', 'permanent');
  const adapter = (): TapAdapter => rt.adapter('eth0').instance as TapAdapter;
  return {
    rt,
    raw,
    ns,
    tap,
    subnet,
    logs,
    adapter,
    ring: () => adapter().inspect()['ioUring'] as Record<string, number | string>,
    async cleanup() {
      ns.destroy();
      await rt.shutdown();
    },
  };
}

function frames(env: Env): Uint8Array[] {
  const ours = mac(OUR_MAC);
  const kernel = mac(KERNEL_MAC);
  const me = ip4(`198.18.${env.subnet}.2`);
  const it = ip4(`198.18.${env.subnet}.1`);
  return [
    ethernet(kernel, ours, 0x0800, ipv4(me, it, 1, icmpEcho(8, 0x5151, 1, new TextEncoder().encode('uring fault payload')), 0x0201)),
    ethernet(kernel, ours, 0x0800, ipv4(me, it, 17, udp(me, it, 5555, 9, new TextEncoder().encode('second frame')), 0x0202)),
    ethernet(kernel, ours, 0x0800, ipv4(me, it, 17, udp(me, it, 5555, 9, new TextEncoder().encode('third frame')), 0x0203)),
  ];
}

/** tcpdump inside the namespace while `body` runs; the frames it saw from our MAC. */
async function captureFromUs(env: Env, body: () => Promise<void>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-uring-'));
  const file = join(dir, 'cap.pcap');
  try {
    const child = env.ns.spawn('tcpdump', ['-i', env.tap, '--immediate-mode', '-U', '-n', '-w', file]);
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
    await body();
    await sleep(300);
    child.kill('SIGINT');
    await waitExit(child, 5000);
    return readPcapFrames(file)
      .filter((f) => hex(f.subarray(6, 12)) === hex(mac(OUR_MAC)) && f[12] === 0x08 && f[13] === 0x00)
      .map(hex);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits (bounded) until `cond`. */
async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
  return cond();
}

function skipped(t: TestContext, faults: boolean): boolean {
  const reason = skipReason(faults);
  if (reason !== null) t.skip(reason);
  return reason !== null;
}

test("TAP io_uring: IoUring 'on' where io_uring is unavailable, or beside an explicit ReaderMode, fails initialization with the reason", async () => {
  const rt = new NdisRuntime({ name: 'h', scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  const logs: string[] = [];
  const rt2 = new NdisRuntime({ name: 'h2', scheduler: new RealScheduler(), logger: (level, _s, m) => logs.push(`${level}: ${m}`) });
  rt2.registerDriver(tapMiniport);
  try {
    useUringBackend(() => {
      throw new IoUringError('io_uring_setup failed: ENOSYS: this kernel has no io_uring (CONFIG_IO_URING off)', 38);
    });
    await assert.rejects(rt2.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: 'tsnuron0', IoUring: 'on' } }), /MiniportInitializeEx failed/);
    assert.ok(logs.some((l) => /^error: IoUring 'on': io_uring is unavailable: io_uring_setup failed: ENOSYS/.test(l)), logs.join('\n'));
  } finally {
    useUringBackend(null);
  }
  await assert.rejects(rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: 'tsnuron1', IoUring: 'on', ReaderMode: 'poll' } }), /MiniportInitializeEx failed/);
  assert.equal(rt.adapters.size + rt2.adapters.size, 0);
  assertClean(rt);
  assertClean(rt2);
});

test("TAP io_uring: 'auto' where io_uring is unavailable falls back to read()/write() and the inspector says why", async (t) => {
  if (skipped(t, false)) return;
  useUringBackend(() => {
    throw new IoUringError('io_uring_setup failed: EPERM: io_uring is disabled for this process', 1);
  });
  let env: Env;
  try {
    env = await setup();
  } finally {
    useUringBackend(null);
  }
  try {
    assert.equal(env.adapter().readerMode, 'uv');
    const seen = await captureFromUs(env, async () => {
      for (const f of frames(env)) assert.ok(env.raw.endpoint('eth0').send(f));
    });
    assert.deepEqual(seen, frames(env).map(hex));
    const snap = snapshotRuntime(env.rt);
    const ioUring = (snap.adapters[0]!.inspect as { ioUring: { state: string } }).ioUring;
    assert.match(ioUring.state, /^unavailable: io_uring_setup failed: EPERM/);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});

test('TAP io_uring: a submission the kernel keeps refusing sends the frames by write(2), byte-exact, and is counted', async (t) => {
  if (skipped(t, true)) return;
  const faults: Faults = { failEnters: 0, failWith: -16, inject: new Map() };
  useUringBackend(faultyKernel(faults));
  const env = await setup().finally(() => useUringBackend(null));
  try {
    const ep = env.raw.endpoint('eth0');
    const before = env.ring();
    const seen = await captureFromUs(env, async () => {
      const [first, ...rest] = frames(env);
      // The first frame's submission is refused every time (the retry too): it goes by write(2).
      faults.failEnters = 1000;
      assert.ok(ep.send(first!));
      faults.failEnters = 0;
      for (const f of rest) assert.ok(ep.send(f));
    });
    assert.deepEqual(seen, frames(env).map(hex), 'every frame reached the kernel, in order');
    const after = env.ring();
    assert.equal(ep.counters.sendCompleted, 3);
    assert.equal(ep.counters.sendFailed, 0);
    assert.ok((after['submitErrors'] as number) - (before['submitErrors'] as number) >= 2, JSON.stringify(after));
    assert.equal((after['fallbacks'] as number) - (before['fallbacks'] as number), 1, 'the refused frame went by write(2); the next ones through the ring');
    // Stack tree JSON carries the same counters.
    const snap = snapshotRuntime(env.rt);
    const ioUring = (snap.adapters[0]!.inspect as { ioUring: Record<string, unknown> }).ioUring;
    assert.equal(ioUring['state'], 'on');
    for (const k of ['submissions', 'completions', 'batches', 'fallbacks', 'submitErrors', 'cqeErrors', 'rxArms']) assert.equal(typeof ioUring[k], 'number', k);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});

test('TAP io_uring: a write completing with -ECANCELED fails its NBL with SEND_ABORTED; the next ones go out', async (t) => {
  if (skipped(t, true)) return;
  const faults: Faults = { failEnters: 0, failWith: -16, inject: new Map() };
  useUringBackend(faultyKernel(faults));
  const env = await setup().finally(() => useUringBackend(null));
  try {
    const ep = env.raw.endpoint('eth0');
    const all = frames(env);
    const seen = await captureFromUs(env, async () => {
      faults.inject.set(IORING_OP_WRITE, [-125]);
      for (const f of all) assert.ok(ep.send(f));
    });
    assert.deepEqual(seen, all.slice(1).map(hex), 'the cancelled write never reached the kernel; the others did');
    assert.equal(ep.counters.sendCompleted, 2);
    assert.equal(ep.counters.sendFailed, 1);
    assert.deepEqual([...ep.counters.failedByStatus.keys()], ['NDIS_STATUS_SEND_ABORTED']);
    assert.equal(env.ring()['cqeErrors'], 1);
    assert.equal(env.adapter().counters.writeErrors, 1);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});

test('TAP io_uring: a write completing with -EBADF is a surprise removal with full pools', async (t) => {
  if (skipped(t, true)) return;
  const faults: Faults = { failEnters: 0, failWith: -16, inject: new Map() };
  useUringBackend(faultyKernel(faults));
  const env = await setup().finally(() => useUringBackend(null));
  try {
    const ep = env.raw.endpoint('eth0');
    faults.inject.set(IORING_OP_WRITE, [-9]);
    ep.send(frames(env)[0]!);
    assert.ok(await until(() => !env.rt.adapters.has('uringHost/eth0')), 'the adapter was removed');
    assert.ok(env.logs.some((l) => /went away \(write failed with errno 9\)/.test(l)), env.logs.join('\n'));
    assert.equal(ep.counters.sendFailed, 1);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});

test('TAP io_uring: a multishot read ending with -ECANCELED is re-armed and frames keep arriving; one ending with -EBADF is a surprise removal', async (t) => {
  if (skipped(t, true)) return;
  // The first read the adapter arms is cancelled, the second one is real.
  const faults: Faults = { failEnters: 0, failWith: -16, inject: new Map([[IORING_OP_READ_MULTISHOT, [-125]]]) };
  useUringBackend(faultyKernel(faults));
  const env = await setup().finally(() => useUringBackend(null));
  try {
    const ep = env.raw.endpoint('eth0');
    env.ns.exec('bash', '-c', `echo -n after-cancel > /dev/udp/198.18.${env.subnet}.2/9999`);
    let payload = '';
    assert.ok(
      await until(() => {
        for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) if (f[12] === 0x08 && f[23] === 17) payload = Buffer.from(f.subarray(42)).toString();
        return payload !== '';
      }),
      'a frame arrived after the cancelled read',
    );
    assert.equal(payload, 'after-cancel');
    const r = env.ring();
    assert.ok((r['rxArms'] as number) >= 2 && (r['cqeErrors'] as number) >= 1, JSON.stringify(r));
    assert.equal(env.adapter().removed, false);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);

  const bad: Faults = { failEnters: 0, failWith: -16, inject: new Map([[IORING_OP_READ_MULTISHOT, [-9]]]) };
  useUringBackend(faultyKernel(bad));
  const env2 = await setup().finally(() => useUringBackend(null));
  try {
    assert.ok(await until(() => !env2.rt.adapters.has('uringHost/eth0')), 'the adapter was removed');
    assert.ok(env2.logs.some((l) => /went away \(read failed with errno 9\)/.test(l)), env2.logs.join('\n'));
  } finally {
    await env2.cleanup();
  }
  assertClean(env2.rt);
});

test('TAP io_uring: halting closes the ring fd, unmaps it and removes the TAP (nothing left behind)', async (t) => {
  if (skipped(t, false)) return;
  // This adapter's own fds and mappings (earlier tests' rings may still be closing).
  const fds = (): Map<string, string> => {
    const m = new Map<string, string>();
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        if (target.includes('io_uring') || target === '/dev/net/tun') m.set(fd, target);
      } catch {
        // closed meanwhile
      }
    }
    return m;
  };
  const ringMaps = (): Set<string> => new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('io_uring')).map((l) => l.split(' ')[0]!));
  const fdsBefore = fds();
  const mapsBefore = ringMaps();
  const tap = uniqueName('tuc');
  const rt = new NdisRuntime({ name: 'closeHost', scheduler: new RealScheduler() });
  rt.registerDriver(tapMiniport);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: tap, IoUring: 'on' } });
  await rt.startAdapter('eth0');
  assert.equal((rt.adapter('eth0').instance as TapAdapter).readerMode, 'uring');
  const ours = [...fds()].filter(([fd, target]) => fdsBefore.get(fd) !== target);
  assert.deepEqual(ours.map(([, target]) => target).sort(), ['/dev/net/tun', 'anon_inode:[io_uring]']);
  const ourMaps = [...ringMaps()].filter((m) => !mapsBefore.has(m));
  assert.ok(ourMaps.length >= 2, 'the rings and the SQE array are mapped');
  await rt.shutdown();
  const closed = (): boolean => {
    const now = fds();
    return ours.every(([fd, target]) => now.get(fd) !== target);
  };
  assert.ok(await until(closed), 'the ring fd and the TAP fd were closed');
  const maps = ringMaps();
  assert.deepEqual(ourMaps.filter((m) => maps.has(m)), [], 'the rings are unmapped');
  assert.ok(await until(() => !existsSync(`/sys/class/net/${tap}`)), 'the TAP device is gone');
  assertClean(rt);
});

test('TAP io_uring: two queues (IFF_MULTI_QUEUE) on one ring — each queue has its own multishot read and buffers; every frame arrives', async (t) => {
  if (skipped(t, false)) return;
  const env = await setup({ IoUring: 'on', Queues: '2' });
  try {
    const ep = env.raw.endpoint('eth0');
    for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive());
    const ports = Array.from({ length: 16 }, (_, i) => 20000 + i);
    env.ns.exec('bash', '-c', ports.map((p) => `echo -n flow-${p} > /dev/udp/198.18.${env.subnet}.2/${p}`).join('; '));
    const got = new Set<string>();
    assert.ok(
      await until(() => {
        for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) if (f[12] === 0x08 && f[23] === 17) got.add(Buffer.from(f.subarray(42)).toString());
        return got.size === ports.length;
      }),
      `received ${[...got].join(',')}`,
    );
    const r = env.ring();
    assert.equal(env.adapter().queues.length, 2);
    assert.ok((r['rxArms'] as number) >= 2, JSON.stringify(r));
    // Sends pick a queue by hash: both fds write through the ring.
    const seen = await captureFromUs(env, async () => {
      for (const f of frames(env)) assert.ok(ep.send(f));
    });
    assert.deepEqual(seen, frames(env).map(hex));
    assert.equal(env.ring()['fallbacks'], 0);
  } finally {
    await env.cleanup();
  }
  assertClean(env.rt);
});
