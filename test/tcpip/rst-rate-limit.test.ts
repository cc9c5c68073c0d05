/**
 * RSTs sent in answer to unexpected segments (no connection, an ACK to a listener, an unacceptable ACK
 * in SYN-SENT) go through one token bucket per engine, as FreeBSD's icmplim bounds closed-port RSTs:
 * a burst of stray segments gets at most the bucket's worth of RSTs, the rest are counted
 * (`tcpEngine.rstsSuppressed`), and after time passes (manual clock) RSTs flow again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TcpLayer } from '../../src/drivers/protocol/tcpip/tcp/index.js';
import { DEFAULT_TCP_CONFIG } from '../../src/drivers/protocol/tcpip/tcp/api.js';
import type { TcpFlow, TcpHost, TcpOutputBuffer, TcpRoute, TcpTimer } from '../../src/drivers/protocol/tcpip/tcp/host.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import { TcpFlags } from '../../src/wire/index.js';
import { F, buildSegment } from '../support/tcp-inject.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';
import { tcpFrame } from './packets.js';

const ME = new Uint8Array([198, 18, 0, 1]);
const PEER = new Uint8Array([198, 18, 0, 2]);

/** A host whose clock the test moves; records the flags of every segment sent. */
class ClockHost implements TcpHost {
  time = 1000;
  readonly sent: number[] = [];
  #n = 1;
  now(): number {
    return this.time;
  }
  createTimer(): TcpTimer {
    return { set() {}, cancel() {}, free() {} };
  }
  random32(): number {
    this.#n = (Math.imul(this.#n, 1103515245) + 12345) >>> 0;
    return this.#n;
  }
  sourceAddress(): Uint8Array {
    return ME;
  }
  route(): TcpRoute {
    return { mtu: 1500, ipHeaderLength: 20, lsoMaxPayload: 0, lsoMinSegments: 2, generation: 1 };
  }
  allocate(_f: TcpFlow, length: number): TcpOutputBuffer {
    return { bytes: new Uint8Array(length), offset: 0, capacity: length };
  }
  transmit(_f: TcpFlow, buffer: TcpOutputBuffer): void {
    this.sent.push(buffer.bytes[buffer.offset + 13]!);
  }
  release(): void {}
}

const toMe = (port: number): TcpFlow => ({ family: 4, localAddress: ME, localPort: port, remoteAddress: PEER, remotePort: 40000 });
const fromPeer = (port: number): TcpFlow => ({ family: 4, localAddress: PEER, localPort: 40000, remoteAddress: ME, remotePort: port });

function strayAck(layer: TcpLayer, port: number, seq: number): void {
  const b = buildSegment(fromPeer(port), { seq, ack: 0x1000 + seq, flags: F.Ack });
  layer.input(toMe(port), b, 0, b.length, 1);
}

const rsts = (h: ClockHost): number => h.sent.filter((f) => (f & TcpFlags.Rst) !== 0).length;

test('rst rate limit: defaults follow FreeBSD icmplim (200/s) with a burst of 50; 0 turns the limit off', () => {
  assert.equal(DEFAULT_TCP_CONFIG.rstRateLimit, 200);
  assert.equal(DEFAULT_TCP_CONFIG.rstBurst, 50);
  const host = new ClockHost();
  const layer = new TcpLayer(host, { rstRateLimit: 0 });
  for (let i = 0; i < 300; i++) strayAck(layer, 81, i);
  assert.equal(rsts(host), 300);
  assert.equal(layer.counters.rstsSuppressed, 0);
  assert.throws(() => new TcpLayer(new ClockHost(), { rstBurst: 0 }), /rstBurst/);
  assert.throws(() => new TcpLayer(new ClockHost(), { rstRateLimit: -1 }), /rstRateLimit/);
});

test('rst rate limit: a burst of stray ACKs gets the bucket of RSTs, the rest are counted; time refills it', () => {
  const host = new ClockHost();
  const layer = new TcpLayer(host, { rstRateLimit: 10, rstBurst: 5 });
  for (let i = 0; i < 30; i++) strayAck(layer, 81, i);
  assert.equal(rsts(host), 5);
  assert.equal(layer.counters.noListener, 30);
  assert.equal(layer.counters.outRsts, 5);
  assert.equal(layer.counters.rstsSuppressed, 25);
  // 10 per second: after 250 ms two tokens, after a long pause never more than the burst.
  host.time += 250;
  for (let i = 0; i < 10; i++) strayAck(layer, 81, 100 + i);
  assert.equal(rsts(host), 7);
  host.time += 60_000;
  for (let i = 0; i < 10; i++) strayAck(layer, 81, 200 + i);
  assert.equal(rsts(host), 12);
  assert.equal(layer.counters.outRsts, 12);
  assert.equal(layer.counters.rstsSuppressed, 25 + 8 + 5);
});

test('rst rate limit: ACKs to a listener and unacceptable ACKs in SYN-SENT draw from the same bucket', () => {
  const host = new ClockHost();
  const layer = new TcpLayer(host, { rstRateLimit: 1, rstBurst: 2, synCookies: false });
  layer.listen({ family: 4, address: new Uint8Array(4), port: 80 }, {}, {});
  strayAck(layer, 80, 1);
  strayAck(layer, 80, 2);
  strayAck(layer, 80, 3);
  assert.equal(layer.counters.listenAckRejected, 3);
  assert.equal(rsts(host), 2);
  assert.equal(layer.counters.rstsSuppressed, 1);
  // A connection in SYN-SENT answers an ACK for something it never sent with a RST (RFC 9293
  // §3.10.7.3): the bucket is empty, so that one is suppressed too.
  const conn = layer.connect({ family: 4, address: PEER, port: 443 }, {}, {});
  const lp = conn.localEndpoint.port;
  const bad = buildSegment({ family: 4, localAddress: PEER, localPort: 443, remoteAddress: ME, remotePort: lp }, { seq: 9, ack: 12345, flags: F.Ack });
  layer.input({ family: 4, localAddress: ME, localPort: lp, remoteAddress: PEER, remotePort: 443 }, bad, 0, bad.length, 1);
  assert.equal(layer.counters.ackUnsent, 1);
  assert.equal(rsts(host), 2);
  assert.equal(layer.counters.rstsSuppressed, 2);
  host.time += 1000;
  layer.input({ family: 4, localAddress: ME, localPort: lp, remoteAddress: PEER, remotePort: 443 }, bad, 0, bad.length, 1);
  assert.equal(rsts(host), 3);
  assert.equal(conn.state, 'SYN-SENT');
});

// ---- through the whole stack: lab adapter, manual clock, netstat ------------------------------------

const LAB_MAC = '02:00:00:00:1a:01';
const PEER_MAC = '02:00:00:00:0a:01';

async function lab(keywords: Record<string, ConfigValue> = {}, tcp: Record<string, number> = {}): Promise<LabHost> {
  return labHost({ IPAddress: ['198.18.0.2/24'], IPv6: false, Neighbors: ['198.18.0.1 02-00-00-00-0a-01'], ...keywords }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1) }, { tcp });
}

function strayAcks(n: number, from: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    out.push(tcpFrame({ family: 4, srcMac: PEER_MAC, dstMac: LAB_MAC, src: '198.18.0.1', dst: '198.18.0.2', srcPort: 40000 + ((from + i) % 1000), dstPort: 81, seq: from + i, ack: 7, flags: TcpFlags.Ack }));
  }
  return out;
}

/** RST segments the lab adapter sent since the last call. */
function sentRsts(h: LabHost): number {
  return h.lab.take().filter((s) => s.frame[12] === 0x08 && s.frame[13] === 0x00 && s.frame[14 + 9] === 6 && (s.frame[14 + 20 + 13]! & TcpFlags.Rst) !== 0).length;
}

const engine = (h: LabHost): Record<string, number> => h.ip.netstat()['tcpEngine'] as Record<string, number>;

test('rst rate limit through the stack: 80 stray ACKs get 50 RSTs (the default burst), netstat counts 30; later RSTs flow again', async () => {
  const h = await lab();
  h.lab.take();
  h.lab.inject(strayAcks(80, 0));
  await labPump(h, 0);
  assert.equal(sentRsts(h), 50);
  assert.equal(engine(h)['rstsSuppressed'], 30);
  assert.equal(engine(h)['outRsts'], 50);
  // 200 per second: 100 ms of the manual clock buys 20 more.
  await labPump(h, 100);
  h.lab.inject(strayAcks(40, 1000));
  await labPump(h, 0);
  assert.equal(sentRsts(h), 20);
  assert.equal(engine(h)['rstsSuppressed'], 50);
  await finishLab(h);
});

test('rst rate limit keywords: TcpRstRateLimit / TcpRstBurst set the bucket; TcpRstRateLimit 0 sends every RST', async () => {
  const small = await lab({ TcpRstRateLimit: 4, TcpRstBurst: 3 });
  small.lab.take();
  small.lab.inject(strayAcks(20, 0));
  await labPump(small, 0);
  assert.equal(sentRsts(small), 3);
  assert.equal(engine(small)['rstsSuppressed'], 17);
  await labPump(small, 500);
  small.lab.inject(strayAcks(20, 100));
  await labPump(small, 0);
  assert.equal(sentRsts(small), 2, '4 per second: 500 ms gives 2');
  await finishLab(small);
  const off = await lab({ TcpRstRateLimit: 0 });
  off.lab.take();
  off.lab.inject(strayAcks(120, 0));
  await labPump(off, 0);
  assert.equal(sentRsts(off), 120);
  assert.equal(engine(off)['rstsSuppressed'], 0);
  await finishLab(off);
});
