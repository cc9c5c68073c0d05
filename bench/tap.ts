/**
 * TAP benchmarks: 64-byte frames between the kernel (in a network namespace) and user space.
 *
 * Receive: trafgen (AF_PACKET TX ring) floods the kernel side of the TAP; we count frames read.
 *   tsndis  — the TAP miniport with read() (`IoUring: off`; ReaderMode from READER, default 'uv') → raw
 *             protocol (counts and returns chains); and again with `IoUring: on` (a multishot read)
 *   baseline — the simplest Node loop: one non-blocking koffi read() after another on the TAP fd
 * Transmit: user space writes 64-byte frames into the TAP as fast as it can; we count frames written.
 *   tsndis  — raw protocol → TAP miniport (one write(2) per frame, completion per chain); and again with
 *             `IoUring: on` (a chain of 32 is one batch of write SQEs, one io_uring_enter)
 *   baseline — a loop of koffi write() calls on the TAP fd
 * Every figure runs in the same process, one after the other, on the same machine state; the io_uring rows
 * are ratios to the same baselines.
 * Needs root, /dev/net/tun, ip and trafgen (netsniff-ng); otherwise it reports why it skipped.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NdisRuntime } from '../src/core/runtime/runtime.js';
import { RealScheduler } from '../src/core/time/scheduler.js';
import { tapMiniport } from '../src/drivers/miniport/tap/index.js';
import { RawProtocol } from '../src/drivers/protocol/raw/index.js';
import { EAGAIN, libc } from '../src/io/tun/libc.js';
import { openTap } from '../src/io/tun/tap-device.js';
import type { NetBufferList } from '../src/ndis/index.js';
import { probeIoUring } from '../src/io/tun/uring.js';

export interface TapBenchResult {
  receive: { tsndis: number; baseline: number };
  transmit: { tsndis: number; baseline: number };
  /** The same with `IoUring: on`; null where io_uring is unavailable (`uringSkipped` says why). */
  receiveUring: { tsndis: number; baseline: number } | null;
  transmitUring: { tsndis: number; baseline: number } | null;
  uringSkipped: string | null;
}

const OUR_MAC = '02:00:00:00:be:02';
const PEER_MAC = '02:00:00:00:be:01';

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function quiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 15_000 });
  } catch {
    // already gone
  }
}

export function tapBenchSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  for (const tool of ['ip', 'trafgen']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs '${tool}' (apt-get install ${tool === 'trafgen' ? 'netsniff-ng' : 'iproute2'})`;
    }
  }
  return null;
}

class Lab {
  readonly ns = `ndbench${process.pid % 10000}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'tsndis-bench-'));
  #children: ChildProcess[] = [];

  constructor() {
    quiet('ip', ['netns', 'del', this.ns]);
    sh('ip', ['netns', 'add', this.ns]);
    sh('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
  }

  /** Moves the TAP into the namespace and brings it up (no addresses: nothing but our frames). */
  adopt(tap: string): void {
    sh('ip', ['link', 'set', tap, 'netns', this.ns]);
    sh('ip', ['-n', this.ns, 'link', 'set', tap, 'address', PEER_MAC]);
    sh('ip', ['-n', this.ns, 'link', 'set', tap, 'txqueuelen', '10000']);
    sh('ip', ['-n', this.ns, 'link', 'set', tap, 'up']);
    sh('ip', ['netns', 'exec', this.ns, 'sysctl', '-qw', `net.ipv6.conf.${tap}.disable_ipv6=1`]);
  }

  /** Floods 64-byte frames from the kernel side of `tap` until stopped (bounded by count anyway). */
  flood(tap: string): ChildProcess {
    const cfg = join(this.dir, 'frame.cfg');
    const dst = OUR_MAC.split(':').map((h) => `0x${h}`).join(', ');
    const src = PEER_MAC.split(':').map((h) => `0x${h}`).join(', ');
    // 60 bytes (64 on the wire with the FCS): Ethernet + IPv4 + UDP to 198.18.250.2:9.
    writeFileSync(
      cfg,
      `{ ${dst}, ${src}, 0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 250, 1, 198, 18, 250, 2, 0x9c, 0x40, 0x00, 0x09, 0, 26, 0, 0, fill(0x41, 18) }\n`,
    );
    // Its own process group, so stopping it kills trafgen too (not just `ip netns exec`).
    const child = spawn('ip', ['netns', 'exec', this.ns, 'trafgen', '-o', tap, '-i', cfg, '-n', '50000000', '-q', '-P', '1'], { stdio: 'ignore', detached: true });
    this.#children.push(child);
    return child;
  }

  /** Stops a flood (the whole process group). */
  stop(child: ChildProcess): void {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Kills every process still running inside the namespace. */
  killAll(): void {
    let pids: string[] = [];
    try {
      pids = sh('ip', ['netns', 'pids', this.ns]).split(/\s+/).filter((p) => p !== '');
    } catch {
      // no namespace
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  destroy(): void {
    for (const c of this.#children) this.stop(c);
    this.killAll();
    quiet('ip', ['netns', 'del', this.ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function frame64(): Uint8Array {
  const f = new Uint8Array(60);
  f.set(PEER_MAC.split(':').map((h) => parseInt(h, 16)), 0);
  f.set(OUR_MAC.split(':').map((h) => parseInt(h, 16)), 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  return f;
}

/** The simplest Node receive loop: non-blocking read() until the time is up. */
async function baselineReceive(lab: Lab, seconds: number): Promise<number> {
  const name = `ndbr${process.pid % 10000}`;
  const tap = openTap({ name, vnetHeader: false, queues: 1 });
  const c = libc();
  try {
    lab.adopt(tap.name);
    const flood = lab.flood(tap.name);
    await sleep(300);
    const buf = new Uint8Array(2048);
    const fd = tap.fds[0]!;
    for (let end = performance.now() + 200; performance.now() < end; ) c.read(fd, buf, buf.length); // warm up
    let frames = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 256; i++) {
        const n = c.read(fd, buf, buf.length);
        if (n > 0) frames++;
        else if (n < 0 && c.errno() !== EAGAIN) throw new Error(`read failed: errno ${c.errno()}`);
      }
    }
    const rate = frames / ((performance.now() - start) / 1000);
    lab.stop(flood);
    return rate;
  } finally {
    tap.close();
  }
}

async function tsndisHost(lab: Lab, name: string, ioUring: 'on' | 'off'): Promise<{ rt: NdisRuntime; raw: RawProtocol }> {
  const rt = new NdisRuntime({ name: 'bench', scheduler: new RealScheduler(), verifier: { enabled: false } });
  rt.registerDriver(tapMiniport);
  const raw = new RawProtocol('tsndis.raw', { sendPoolSize: 1024, receiveQueueDepth: 64 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.tap', keywords: { InterfaceName: name, NetworkAddress: OUR_MAC, VnetHeader: true, IoUring: ioUring, ...(process.env.READER === undefined || ioUring === 'on' ? {} : { ReaderMode: process.env.READER }), '*ReceiveBuffers': Number(process.env.RXB ?? 512), ...(JSON.parse(process.env.TAP_KEYWORDS ?? '{}') as Record<string, number | string | boolean>) } });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  lab.adopt(name);
  return { rt, raw };
}

async function tsndisReceive(lab: Lab, seconds: number, ioUring: 'on' | 'off'): Promise<number> {
  const name = `${ioUring === 'on' ? 'ndur' : 'ndtr'}${process.pid % 10000}`;
  const { rt, raw } = await tsndisHost(lab, name, ioUring);
  try {
    const ep = raw.endpoint('eth0');
    let frames = 0;
    ep.receiveHandler = (_nbls, count) => {
      frames += count;
    };
    const flood = lab.flood(name);
    await sleep(500);
    const before = frames;
    const start = performance.now();
    await sleep(seconds * 1000);
    const rate = (frames - before) / ((performance.now() - start) / 1000);
    lab.stop(flood);
    return rate;
  } finally {
    await rt.shutdown();
  }
}

/** The simplest Node transmit loop: one write() after another. */
async function baselineTransmit(lab: Lab, seconds: number): Promise<number> {
  const name = `ndbt${process.pid % 10000}`;
  const tap = openTap({ name, vnetHeader: false, queues: 1 });
  const c = libc();
  try {
    lab.adopt(tap.name);
    const f = frame64();
    const fd = tap.fds[0]!;
    let frames = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      for (let i = 0; i < 256; i++) if (c.write(fd, f, f.length) === f.length) frames++;
      // Yield now and then so the kernel side's softirq work is not starved by a 100% busy loop.
      if ((frames & 0xffff) < 256) await sleep(0);
    }
    return frames / ((performance.now() - start) / 1000);
  } finally {
    tap.close();
  }
}

async function tsndisTransmit(lab: Lab, seconds: number, ioUring: 'on' | 'off'): Promise<number> {
  const name = `${ioUring === 'on' ? 'ndut' : 'ndtt'}${process.pid % 10000}`;
  const { rt, raw } = await tsndisHost(lab, name, ioUring);
  try {
    const ep = raw.endpoint('eth0');
    const f = frame64();
    const batch = 32;
    const free: NetBufferList[] = [];
    for (let c = 0; c < 16; c++) {
      let head: NetBufferList | null = null;
      for (let i = 0; i < batch; i++) {
        const nbl = ep.allocate(f)!;
        nbl.next = head;
        head = nbl;
      }
      free.push(head!);
    }
    let completed = 0;
    ep.sendCompleteHandler = (nbls) => {
      for (let n: NetBufferList | null = nbls; n !== null; n = n.next) completed++;
      free.push(nbls);
    };
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      for (let k = free.length; k > 0; k--) ep.sendChain(free.pop()!, batch);
      await new Promise<void>((r) => setImmediate(r));
    }
    return completed / ((performance.now() - start) / 1000);
  } finally {
    await rt.shutdown();
  }
}

export async function runTapBench(seconds: number): Promise<TapBenchResult> {
  const lab = new Lab();
  try {
    const probe = probeIoUring();
    const uringSkipped = probe.usable ? null : probe.reason;
    const baseRx = await baselineReceive(lab, seconds);
    const ourRx = await tsndisReceive(lab, seconds, 'off');
    const uringRx = uringSkipped === null ? await tsndisReceive(lab, seconds, 'on') : null;
    const baseTx = await baselineTransmit(lab, seconds);
    const ourTx = await tsndisTransmit(lab, seconds, 'off');
    const uringTx = uringSkipped === null ? await tsndisTransmit(lab, seconds, 'on') : null;
    return {
      receive: { tsndis: ourRx, baseline: baseRx },
      transmit: { tsndis: ourTx, baseline: baseTx },
      receiveUring: uringRx === null ? null : { tsndis: uringRx, baseline: baseRx },
      transmitUring: uringTx === null ? null : { tsndis: uringTx, baseline: baseTx },
      uringSkipped,
    };
  } finally {
    lab.destroy();
  }
}
