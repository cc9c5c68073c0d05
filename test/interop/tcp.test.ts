/**
 * tsndis TCP against the Linux kernel over a TAP whose other end lives in a network namespace:
 *
 *   tsndis.tcpip ─ [tsndis.impairment] ─ tsndis.tap ═ TAP ═ [netns: kernel TCP, python3, curl, nft]
 *
 * Bulk transfers both ways with SHA-256 compared on both ends (python3 source/sink from
 * test/support/linux-peer.ts; a TcpServer or TcpSocket on the tsndis side hashing with node:crypto),
 * clean with the TAP's default offloads (virtio-net header, checksum, LSO, RSC) and with them off, then
 * on an impaired link (loss, reordering, duplication and corruption both ways in the impairment filter,
 * plus nftables random loss in the namespace), then curl fetching from the built-in http service, and
 * IPv6. Real time (RealScheduler), verifier on, pools checked full at the end. Needs root, /dev/net/tun,
 * ip, python3, curl and nft; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { impairmentFilter, type DirectionStats, type ImpairmentFilterModule } from '../../src/drivers/filter/impairment/index.js';
import type { ReaderMode } from '../../src/drivers/miniport/tap/queue.js';
import { startService, type TcpIpProtocol, type TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { nonZeroCounters } from '../../src/drivers/protocol/tcpip/counters.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import { assertClean } from '../support/hosts.js';
import { nftablesLoss, nftablesLossDrops, tcpSink, tcpSource, type TransferResult } from '../support/linux-peer.js';
import { interopSkipReason, type Netns } from '../support/netns.js';
import { TapTcpIpHost } from '../support/tap-tcpip-host.js';
import { withTimeout } from '../../src/util/with-timeout.js';
import { probeIoUring } from '../../src/io/tun/uring.js';

const OUR_MAC = '02:00:00:00:7c:02';
const KERNEL_MAC = '02:00:00:00:7c:01';
const MB = 1_000_000;
const BULK = 50 * MB;

/**
 * The impaired link, per direction of the filter (send = tsndis → Linux, receive = Linux → tsndis).
 * The TAP runs without the virtio-net header there: with checksum offload the kernel would compute (or
 * have validated) the checksum on the far side of the filter, so a corrupted frame would look valid,
 * and LSO/RSC frames are larger than the filter copies (they cannot be corrupted or duplicated).
 */
const IMPAIRMENT: Record<string, ConfigValue> = {
  SendLossPercent: '1',
  ReceiveLossPercent: '1',
  SendReorderPercent: '1',
  ReceiveReorderPercent: '1',
  SendDuplicatePercent: '0.5',
  ReceiveDuplicatePercent: '0.5',
  SendCorruptPercent: '0.1',
  ReceiveCorruptPercent: '0.1',
  Seed: 20240611,
};
const NFT_LOSS_PERCENT = 1;

type Offloads = 'default' | 'off' | 'none';

interface EnvOptions {
  /** default: the TAP's default offloads; off: vnet header on, every offload keyword 0; none: no vnet header. */
  offloads: Offloads;
  impaired?: boolean;
  ipv6?: boolean;
  /** The TAP's receive design (default: the driver's). */
  readerMode?: ReaderMode;
}

interface Env {
  host: TapTcpIpHost;
  rt: NdisRuntime;
  ip: TcpIpProtocol;
  ns: Netns;
  filter: ImpairmentFilterModule | null;
  /** tsndis's address and Linux's, per family. */
  ours: { 4: string; 6: string };
  theirs: { 4: string; 6: string };
  cleanup(): Promise<void>;
}

let serial = 0;

async function setup(o: EnvOptions): Promise<Env> {
  const n = 200 + ((process.pid + serial++) % 50);
  const tapKeywords: Record<string, ConfigValue> = {};
  if (o.offloads === 'none') tapKeywords['VnetHeader'] = false;
  if (o.readerMode !== undefined) tapKeywords['ReaderMode'] = o.readerMode;
  if (o.offloads === 'off') {
    for (const k of ['*IPChecksumOffloadIPv4', '*TCPChecksumOffloadIPv4', '*TCPChecksumOffloadIPv6', '*UDPChecksumOffloadIPv4', '*UDPChecksumOffloadIPv6', '*LsoV2IPv4', '*LsoV2IPv6', '*RscIPv4', '*RscIPv6']) {
      tapKeywords[k] = 0;
    }
  }
  const host = await TapTcpIpHost.create({
    name: 'tcpHost',
    tapKind: 'ttc',
    ourMac: OUR_MAC,
    kernelMac: KERNEL_MAC,
    subnet: `198.18.${n}`,
    ...(o.ipv6 === true ? { subnet6: `fd00:7c:${n.toString(16)}:` } : {}),
    tapKeywords,
    filters: o.impaired === true ? [{ driver: impairmentFilter, keywords: IMPAIRMENT }] : [],
  });
  const env: Env = {
    host,
    rt: host.rt,
    ip: host.ip,
    ns: host.ns,
    filter: o.impaired === true ? (host.filters[0] as ImpairmentFilterModule) : null,
    ours: host.ours,
    theirs: host.theirs,
    cleanup: () => host.destroy(),
  };
  try {
    if (o.impaired === true) nftablesLoss(host.ns, NFT_LOSS_PERCENT);
    if (o.ipv6 === true) assert.ok(await host.ready(), 'DAD finished');
  } catch (e) {
    await host.destroy();
    throw e;
  }
  return env;
}

function skip(t: TestContext): boolean {
  const reason = interopSkipReason('python3', 'curl', 'nft');
  if (reason !== null) {
    t.skip(reason);
    return true;
  }
  return false;
}

function rate(t: TestContext, what: string, r: TransferResult): void {
  t.diagnostic(`${what}: ${(r.bytes / MB).toFixed(1)} MB in ${r.seconds.toFixed(2)} s = ${((r.bytes * 8) / r.seconds / 1e6).toFixed(0)} Mbit/s`);
}

/** Linux (python3 source in the namespace) → a tsndis TcpServer that hashes everything it reads. */
async function linuxToTsndis(t: TestContext, env: Env, family: 4 | 6, bytes: number, timeoutS: number): Promise<void> {
  const port = 5001;
  let resolveGot!: (r: { bytes: number; sha256: string }) => void;
  const got = new Promise<{ bytes: number; sha256: string }>((r) => (resolveGot = r));
  const sockets = new Set<TcpSocket>();
  const server = env.ip.createServer((s) => {
    sockets.add(s);
    const h = createHash('sha256');
    let n = 0;
    s.on('data', (chunk: Buffer) => {
      h.update(chunk);
      n += chunk.length;
    });
    s.on('end', () => resolveGot({ bytes: n, sha256: h.digest('hex') }));
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, env.ours[family], () => resolve());
  });
  try {
    const started = performance.now();
    const [sent, received] = await withTimeout(Promise.all([tcpSource(env.ns, env.ours[family], port, bytes, 7, timeoutS), got]), (timeoutS + 10) * 1000, 'Linux → tsndis');
    const seconds = (performance.now() - started) / 1000;
    assert.equal(sent.bytes, bytes);
    assert.equal(received.bytes, bytes, 'tsndis received every byte');
    assert.equal(received.sha256, sent.sha256, 'SHA-256 equal on both ends');
    rate(t, `Linux → tsndis IPv${family}`, { bytes, sha256: sent.sha256, seconds });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A pool of pseudo-random bytes the sender slides over (as the python source does): 1 MiB, doubled. */
const POOL_SIZE = 1 << 20;
const CHUNK = 64 * 1024;

/** tsndis (a TcpSocket writing pseudo-random data, with back-pressure) → a python3 sink in the namespace. */
async function tsndisToLinux(t: TestContext, env: Env, family: 4 | 6, bytes: number, timeoutS: number): Promise<void> {
  const port = 5002;
  const sink = await tcpSink(env.ns, env.theirs[family], port, timeoutS);
  const one = randomBytes(POOL_SIZE);
  const pool = Buffer.concat([one, one]);
  const h = createHash('sha256');
  const socket = env.ip.connect({ host: env.theirs[family], port });
  try {
    const started = performance.now();
    const sent = new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        let n = 0;
        let off = 0;
        const pump = (): void => {
          while (n < bytes) {
            const k = Math.min(CHUNK, bytes - n);
            // The pool is never written, so queued views stay valid until the stream is done with them.
            const chunk = pool.subarray(off, off + k);
            h.update(chunk);
            n += k;
            off = (off + 65537 + 4099) % POOL_SIZE;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end(() => resolve());
        };
        pump();
      });
    });
    const [, received] = await withTimeout(Promise.all([sent, sink.done]), (timeoutS + 10) * 1000, 'tsndis → Linux');
    const seconds = (performance.now() - started) / 1000;
    assert.equal(received.bytes, bytes, 'Linux received every byte');
    assert.equal(received.sha256, h.digest('hex'), 'SHA-256 equal on both ends');
    rate(t, `tsndis → Linux IPv${family}`, { bytes, sha256: received.sha256, seconds });
  } finally {
    socket.destroy();
  }
}

/** Runs a command in the namespace without blocking the event loop (tsndis keeps serving); bounded. */
function run(env: Env, cmd: string, ...args: string[]): Promise<string> {
  return env.ns.run(cmd, args, 30_000);
}

/** curl in the namespace fetches a random file from the http service byte-exact, and gets 404 for a missing one. */
async function curlFetch(t: TestContext, env: Env, family: 4 | 6): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-http-'));
  mkdirSync(join(dir, 'www'));
  const service = await startService(env.ip.sockets, { service: 'http', port: 80, address: null, root: join(dir, 'www') }).catch(async (e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  try {
    const content = randomBytes(4 * MB);
    writeFileSync(join(dir, 'www', 'blob.bin'), content);
    const host = family === 4 ? env.ours[4] : `[${env.ours[6]}]`;
    const out = join(dir, 'curl.out');
    const started = performance.now();
    const code = await run(env, 'curl', '-sS', '-g', '--max-time', '20', '-o', out, '-w', '%{http_code}', `http://${host}/blob.bin`);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, '200');
    const fetched = readFileSync(out);
    assert.equal(fetched.length, content.length);
    assert.equal(createHash('sha256').update(fetched).digest('hex'), createHash('sha256').update(content).digest('hex'), 'curl got the file byte-exact');
    rate(t, `curl http IPv${family}`, { bytes: content.length, sha256: '', seconds });
    const missing = await run(env, 'curl', '-sS', '-g', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', `http://${host}/no-such-file`);
    assert.equal(missing, '404');
    assert.ok(service.counters.requests >= 2);
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checks every test ends with: sockets closed, runtime down, pools full, no verifier violation. */
async function finish(env: Env): Promise<void> {
  await env.cleanup();
  assertClean(env.rt);
}

test('tcp interop: Linux → tsndis server, 50 MB over IPv4, TAP offloads on', { timeout: 120_000 }, async (t) => {
  if (skip(t)) return;
  const env = await setup({ offloads: 'default' });
  try {
    await linuxToTsndis(t, env, 4, BULK, 60);
    assert.ok(env.ip.tcp.counters.coalescedBuffers > 0, 'RSC super-frames reached TCP');
    assert.equal(env.host.adapter.readerMode, probeIoUring().usable ? 'uring' : 'uv', "ReaderMode 'auto' on the main thread: io_uring where the kernel has it, else libuv's epoll");
  } finally {
    await finish(env);
  }
});

test('tcp interop: tsndis client → Linux, 50 MB over IPv4, TAP offloads on', { timeout: 120_000 }, async (t) => {
  if (skip(t)) return;
  const env = await setup({ offloads: 'default' });
  try {
    await tsndisToLinux(t, env, 4, BULK, 60);
    assert.ok(env.ip.stack.counters.tcp.lsoSends > 0, 'LSOv2 sends went down');
  } finally {
    await finish(env);
  }
});

test("tcp interop: 50 MB both ways over IPv4 with ReaderMode 'uv' (libuv watches the TAP, no reader worker)", { timeout: 120_000 }, async (t) => {
  if (skip(t)) return;
  const env = await setup({ offloads: 'default', readerMode: 'uv' });
  try {
    await linuxToTsndis(t, env, 4, BULK, 60);
    await tsndisToLinux(t, env, 4, BULK, 60);
    const r = await env.ip.stack.ping(env.theirs[4], { count: 3, intervalMs: 10, timeoutMs: 1000 });
    assert.equal(r.received, 3);
  } finally {
    await finish(env);
  }
});

test('tcp interop: 50 MB both ways over IPv4 with every TAP offload off (software checksums and segmentation)', { timeout: 120_000 }, async (t) => {
  if (skip(t)) return;
  const env = await setup({ offloads: 'off' });
  try {
    await linuxToTsndis(t, env, 4, BULK, 60);
    await tsndisToLinux(t, env, 4, BULK, 60);
    const c = env.ip.stack.counters.tcp;
    assert.equal(c.lsoSends, 0);
    assert.equal(env.ip.tcp.counters.coalescedBuffers, 0);
  } finally {
    await finish(env);
  }
});

/** Sums fields of /proc/net/snmp or /proc/net/netstat in the namespace ("Tcp" "InCsumErrors" …). */
function kernelCounters(env: Env): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/snmp', '/proc/net/netstat']) {
    const lines = env.ns.exec('cat', file).trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      const group = names[0]!.replace(/:$/, '');
      for (let k = 1; k < names.length; k++) out.set(`${group}${names[k]!}`, Number(values[k]));
    }
  }
  return out;
}

/** Every impairment happened in both directions of the filter. */
function assertImpaired(env: Env): { send: DirectionStats; receive: DirectionStats } {
  const send = env.filter!.stats('send');
  const receive = env.filter!.stats('receive');
  for (const [dir, s] of [['send', send], ['receive', receive]] as const) {
    for (const k of ['droppedRandom', 'reordered', 'duplicated', 'corrupted'] as const) assert.ok(s.totals[k] > 0, `${dir}: ${k} happened`);
    assert.equal(s.totals.copyFailed, 0, `${dir}: every frame could be copied`);
  }
  return { send, receive };
}

/**
 * Both impaired tests move 50 MB: on this 2-core machine each takes a few seconds (see the diagnostics),
 * well within the budget.
 */
async function impairedTransfer(t: TestContext, direction: 'in' | 'out'): Promise<void> {
  const env = await setup({ offloads: 'none', impaired: true });
  try {
    const before = kernelCounters(env);
    if (direction === 'in') await linuxToTsndis(t, env, 4, BULK, 90);
    else await tsndisToLinux(t, env, 4, BULK, 90);
    const { send, receive } = assertImpaired(env);
    const after = kernelCounters(env);
    const nftDrops = nftablesLossDrops(env.ns);
    const delta = (k: string): number => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    const c = env.ip.stack.counters;
    const oursDropped = c.tcp.badChecksum + c.ipv4.inBadChecksum;
    const theirsDropped = delta('TcpInCsumErrors') + delta('IpExtInCsumErrors');
    t.diagnostic(
      `filter send ${JSON.stringify(pick(send))}, receive ${JSON.stringify(pick(receive))}; ` +
        `checksum drops: tsndis ${oursDropped} (tcp ${c.tcp.badChecksum}, ip ${c.ipv4.inBadChecksum}), ` +
        `Linux ${theirsDropped} (TcpInCsumErrors ${delta('TcpInCsumErrors')}, IpExtInCsumErrors ${delta('IpExtInCsumErrors')}); ` +
        `nft drops ${nftDrops}; tsndis tcp ${JSON.stringify(Object.fromEntries(Object.entries(env.ip.tcp.counters.snapshot()).filter(([, v]) => v !== 0)))}`,
    );
    t.diagnostic(JSON.stringify({ ipv4: nonZeroCounters(c)['ipv4'], tcp: nonZeroCounters(c)['tcp'], link: nonZeroCounters(c)['link'] }));
    assert.ok(oursDropped > 0, 'tsndis dropped corrupted frames by their checksums');
    assert.ok(theirsDropped > 0, 'Linux dropped corrupted frames by their checksums');
    assert.ok(nftDrops > 0, 'the nftables rule dropped packets in the namespace');
  } finally {
    await finish(env);
  }
}

function pick(s: DirectionStats): Record<string, number> {
  const { offered, droppedRandom, reordered, duplicated, corrupted } = s.totals;
  return { offered, droppedRandom, reordered, duplicated, corrupted };
}


test('tcp interop: Linux → tsndis server, 50 MB over IPv4 on an impaired link (loss, reorder, duplicates, corruption both ways)', { timeout: 180_000 }, async (t) => {
  if (skip(t)) return;
  await impairedTransfer(t, 'in');
});

test('tcp interop: tsndis client → Linux, 50 MB over IPv4 on an impaired link (loss, reorder, duplicates, corruption both ways)', { timeout: 180_000 }, async (t) => {
  if (skip(t)) return;
  await impairedTransfer(t, 'out');
});

test('tcp interop: curl in the namespace fetches from the http service over IPv4, byte-exact, and gets 404', { timeout: 60_000 }, async (t) => {
  if (skip(t)) return;
  const env = await setup({ offloads: 'default' });
  try {
    await curlFetch(t, env, 4);
  } finally {
    await finish(env);
  }
});

test('tcp interop: IPv6 — 10 MB both ways and a curl fetch', { timeout: 120_000 }, async (t) => {
  if (skip(t)) return;
  const env = await setup({ offloads: 'default', ipv6: true });
  try {
    await linuxToTsndis(t, env, 6, 10 * MB, 60);
    await tsndisToLinux(t, env, 6, 10 * MB, 60);
    await curlFetch(t, env, 6);
    assert.ok(env.ip.stack.counters.ipv6.inDelivers > 0);
  } finally {
    await finish(env);
  }
});
