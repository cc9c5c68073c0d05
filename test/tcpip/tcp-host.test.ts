/**
 * The IP layer's side of the TCP contract (tcp/host.ts), with a fake engine: segments counted and dropped
 * before an engine is attached, flows and bytes handed to the engine, checksums verified, sends batched
 * per receive indication (one NBL chain), pool exhaustion, software segmentation when there is no LSO,
 * routes and their generation (path MTU from ICMP), ICMP errors passed to the engine, timers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TcpFlags, TcpView, ipv4PseudoHeaderSum, verifyChecksum, IpProtocol, verifyIpv4HeaderChecksum, internetChecksum } from '../../src/wire/index.js';
import { RouteResult } from '../../src/drivers/protocol/tcpip/packet.js';
import { finish, pair, pump } from './helpers.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';
import { FakeTcp, copyFlow, flow4, flow6, sendSegment, tcpFrame } from './packets.js';

const LAB_MAC = '02:00:00:00:1a:01';
const PEER_MAC = '02:00:00:00:0a:01';

async function lab(keywords: Record<string, string | string[] | number | boolean> = {}): Promise<LabHost> {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false, Neighbors: ['198.18.0.1 02-00-00-00-0a-01', 'fd00::1 02-00-00-00-0a-01'], ...keywords }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1) });
  h.lab.take();
  // These tests drive the host side of the contract with a fake engine (or none).
  h.ip.stack.detachTcp();
  return h;
}

function syn(family: 4 | 6, seq = 1000, dstPort = 80): Uint8Array {
  return tcpFrame({ family, srcMac: PEER_MAC, dstMac: LAB_MAC, src: family === 4 ? '198.18.0.1' : 'fd00::1', dst: family === 4 ? '198.18.0.2' : 'fd00::2', srcPort: 40000, dstPort, seq, flags: TcpFlags.Syn });
}

test('tcp host: without an engine, segments are counted and dropped; attached, the engine gets flow, bytes and segment count', async () => {
  const h = await lab();
  h.lab.inject([syn(4)]);
  await labPump(h, 0);
  assert.equal(h.ip.stack.counters.tcp.noEngine, 1);
  const tcp = new FakeTcp();
  h.ip.stack.attachTcp(tcp);
  h.lab.inject([syn(4, 7), syn(6, 8)]);
  await labPump(h, 0);
  assert.equal(tcp.segments.length, 2);
  const [s4, s6] = tcp.segments;
  assert.deepEqual([s4!.family, s4!.local, s4!.localPort, s4!.remote, s4!.remotePort, s4!.segments], [4, '198.18.0.2', 80, '198.18.0.1', 40000, 1]);
  assert.deepEqual([s6!.family, s6!.local, s6!.remote], [6, 'fd000000000000000000000000000002', 'fd000000000000000000000000000001']);
  assert.equal(new TcpView().bind(s4!.bytes, 0).seqNumber, 7);
  assert.equal(h.ip.stack.counters.tcp.inSegs, 2);
  await finishLab(h);
});

test('tcp host: a bad checksum, a truncated header and a broadcast destination are dropped and counted', async () => {
  const h = await lab();
  const tcp = new FakeTcp();
  h.ip.stack.attachTcp(tcp);
  const bad = syn(4);
  bad[bad.length - 3]! ^= 0xff; // inside the TCP header (urgent pointer / checksum area)
  const cut = syn(4).slice(0, 14 + 20 + 12);
  cut[17] = 32; // IPv4 total length 32: a 12-byte TCP header
  cut[24] = 0;
  cut[25] = 0;
  const fixed = internetChecksum(cut, 14, 20);
  cut[24] = fixed >> 8;
  cut[25] = fixed & 0xff;
  h.lab.inject([bad, cut]);
  await labPump(h, 0);
  const c = h.ip.stack.counters.tcp;
  assert.deepEqual([c.badChecksum, c.malformed, c.inSegs], [1, 1, 0]);
  assert.equal(tcp.segments.length, 0);
  await finishLab(h);
});

test('tcp host: segments sent while processing one indication go down as one NBL chain', async () => {
  const h = await lab();
  const tcp = new FakeTcp();
  h.ip.stack.attachTcp(tcp);
  // Answer each received segment with an ACK, as an engine would.
  tcp.onInput = (flow) => {
    const f = copyFlow(flow);
    assert.ok(sendSegment(h.ip.stack.tcpHost, f, { seq: 5000, ack: 1, flags: TcpFlags.Ack }));
  };
  h.lab.inject([syn(4, 1), syn(4, 2), syn(6, 3)]);
  await labPump(h, 0);
  const sent = h.lab.take();
  assert.equal(sent.length, 3);
  assert.equal(new Set(sent.map((s) => s.batch)).size, 1, 'one NdisSendNetBufferLists');
  // Outside a batch (engine writing from user code) each send goes down at once.
  tcp.onInput = null;
  const f = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  sendSegment(h.ip.stack.tcpHost, f, { seq: 1, flags: TcpFlags.Ack });
  sendSegment(h.ip.stack.tcpHost, f, { seq: 2, flags: TcpFlags.Ack });
  const out = h.lab.take();
  assert.equal(out.length, 2);
  assert.notEqual(out[0]!.batch, out[1]!.batch);
  // Every segment is valid on the wire (software checksums: the lab adapter offloads nothing).
  for (const s of [...sent, ...out]) {
    const fr = s.frame;
    if (fr[12] === 0x08) {
      assert.ok(verifyIpv4HeaderChecksum(fr, 14, fr.length - 14));
      const src = ((fr[26]! << 24) | (fr[27]! << 16) | (fr[28]! << 8) | fr[29]!) >>> 0;
      const dst = ((fr[30]! << 24) | (fr[31]! << 16) | (fr[32]! << 8) | fr[33]!) >>> 0;
      assert.ok(verifyChecksum(fr, 34, fr.length - 34, ipv4PseudoHeaderSum(src, dst, IpProtocol.Tcp, fr.length - 34)));
      assert.equal(fr[20]! & 0x40, 0x40, 'DF on TCP');
    }
  }
  await finishLab(h);
});

test('tcp host: allocate returns null when the send pool is exhausted (counted); release gives buffers back', async () => {
  const h = await lab({ SendPoolSize: 16 });
  const host = h.ip.stack.tcpHost;
  const f = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  const bufs = [];
  for (let i = 0; i < 16; i++) {
    const b = host.allocate(f, 100);
    assert.ok(b !== null);
    assert.ok(b.capacity >= 1480);
    bufs.push(b);
  }
  assert.equal(host.allocate(f, 100), null);
  assert.equal(h.ip.stack.counters.tcp.allocateFailed, 1);
  assert.equal(h.ip.stack.counters.link.txNoBuffer, 1);
  for (const b of bufs) host.release(b);
  const again = host.allocate(f, 100);
  assert.ok(again !== null, 'released buffers are usable again');
  host.release(again);
  await finishLab(h);
});

test('tcp host: without LSO, a buffer with more than one MSS is cut into MSS segments (LSOv2 rules)', async () => {
  const h = await lab();
  const f = flow4('198.18.0.2', 80, '198.18.0.1', 40000);
  const payload = Uint8Array.from({ length: 350 }, (_, i) => i & 0xff);
  const route = h.ip.stack.tcpHost.route(f)!;
  assert.deepEqual([route.mtu, route.ipHeaderLength, route.lsoMaxPayload], [1500, 20, 0]);
  assert.ok(sendSegment(h.ip.stack.tcpHost, f, { seq: 0xfffffff0, flags: TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin | TcpFlags.Cwr, payload, mss: 100 }));
  const segs = h.lab.take().map((s) => s.frame);
  assert.equal(segs.length, 4);
  const v = new TcpView();
  const got: Uint8Array[] = [];
  segs.forEach((fr, i) => {
    v.bind(fr, 34);
    assert.equal(v.seqNumber, (0xfffffff0 + i * 100) >>> 0, 'sequence numbers advance (and wrap)');
    const last = i === 3;
    assert.equal(v.fin, last);
    assert.equal(v.psh, last);
    assert.equal(v.cwr, i === 0);
    assert.ok(v.ack);
    assert.ok(verifyChecksum(fr, 34, fr.length - 34, ipv4PseudoHeaderSum(0xc6120002, 0xc6120001, IpProtocol.Tcp, fr.length - 34)));
    got.push(fr.subarray(54));
  });
  assert.deepEqual(Buffer.concat(got), Buffer.from(payload));
  assert.equal(h.ip.stack.counters.tcp.softwareSegments, 4);
  await finishLab(h);
});

test('tcp host: ICMP errors quoting our segments reach the engine; fragmentation needed lowers the route MTU and bumps its generation', async () => {
  const { a, b } = await pair();
  const tcpA = new FakeTcp();
  a.ip.stack.attachTcp(tcpA);
  b.ip.stack.detachTcp();
  const f = flow4('198.18.0.1', 40000, '198.18.0.2', 80);
  const before = a.ip.stack.tcpHost.route(f)!;
  const gen = before.generation;
  // B has no engine, so it answers nothing; make it send a "fragmentation needed" about our segment.
  sendSegment(a.ip.stack.tcpHost, f, { seq: 1, flags: TcpFlags.Syn });
  await pump([a, b], 10);
  assert.equal(b.ip.stack.counters.tcp.noEngine, 1);
  // Build the error by hand on B's side: quote the header A sent.
  const seg = tcpFrame({ family: 4, srcMac: '02:00:00:00:0a:01', dstMac: '02:00:00:00:0b:01', src: '198.18.0.1', dst: '198.18.0.2', srcPort: 40000, dstPort: 80, seq: 1, flags: TcpFlags.Syn });
  const quote = seg.subarray(14, 14 + 28);
  const icmp = new Uint8Array(8 + quote.length);
  icmp.set([3, 4, 0, 0, 0, 0, 0x05, 0x78]); // dest unreachable, frag needed, next-hop MTU 1400
  icmp.set(quote, 8);
  const c = internetChecksum(icmp, 0, icmp.length);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const rr = new RouteResult();
  assert.ok(b.ip.stack.route4(0xc6120001, null, rr));
  const tx = b.ip.stack.output.begin(4, rr, 0xc6120001, null, 0, IpProtocol.Icmp, icmp.length)!;
  tx.bytes.set(icmp, tx.offset);
  b.ip.stack.output.send(tx, icmp.length);
  await pump([a, b], 10);
  assert.deepEqual(tcpA.errors, [{ local: '198.18.0.1', localPort: 40000, remote: '198.18.0.2', remotePort: 80, error: 'packet-too-big', mtu: 1400 }]);
  const after = a.ip.stack.tcpHost.route(f)!;
  assert.ok(before.generation > gen, 'the old route object sees the new generation');
  assert.equal(after.mtu, 1400);
  assert.equal(a.ip.stack.counters.icmp.pathMtuUpdates, 1);
  // Ten minutes later the learned MTU expires: the route grows back and the generation moves again.
  const g2 = after.generation;
  await pump([a, b], 600_000, 60_000);
  const later = a.ip.stack.tcpHost.route(f)!;
  assert.equal(later.mtu, 1500);
  assert.ok(later.generation > g2);
  await finish(a, b);
});

test('tcp host: timers fire on the stack clock, and what they send goes down as one chain', async () => {
  const h = await lab();
  const host = h.ip.stack.tcpHost;
  const f = flow6('fd00::2', 80, 'fd00::1', 40000);
  let fired = 0;
  const t = host.createTimer(() => {
    fired++;
    sendSegment(host, f, { seq: 1, flags: TcpFlags.Ack });
    sendSegment(host, f, { seq: 2, flags: TcpFlags.Ack });
  });
  t.set(250);
  await labPump(h, 240);
  assert.equal(fired, 0);
  await labPump(h, 20);
  assert.equal(fired, 1);
  const out = h.lab.take();
  assert.equal(out.length, 2);
  assert.equal(out[0]!.batch, out[1]!.batch);
  t.set(100);
  t.cancel();
  await labPump(h, 200);
  assert.equal(fired, 1);
  t.free();
  assert.ok(host.now() >= 460);
  assert.equal(typeof host.random32(), 'number');
  assert.equal(Buffer.from(host.sourceAddress(6, Uint8Array.from(Buffer.from('fd000000000000000000000000000001', 'hex')))!).toString('hex'), 'fd000000000000000000000000000002');
  assert.equal(host.sourceAddress(4, Uint8Array.of(203, 0, 113, 1)), null);
  await finishLab(h);
});

test('tcp host: segments over loopback reach our own engine', async () => {
  const { a, b } = await pair();
  const tcp = new FakeTcp();
  a.ip.stack.attachTcp(tcp);
  const f = flow4('127.0.0.1', 1, '127.0.0.1', 2);
  assert.ok(sendSegment(a.ip.stack.tcpHost, f, { seq: 9, flags: TcpFlags.Syn, payload: new Uint8Array(3000) }));
  await pump([a, b], 0);
  assert.equal(tcp.segments.length, 1);
  assert.deepEqual([tcp.segments[0]!.localPort, tcp.segments[0]!.remotePort, tcp.segments[0]!.bytes.length], [2, 1, 3020]);
  await finish(a, b);
});

test('tcp host: the engine hears inputBatchEnd once at the end of each receive indication, and what it sends then joins that indication’s chain', async () => {
  const h = await lab();
  let ends = 0;
  let inputsAtEnd = -1;
  const tcp = new (class extends FakeTcp {
    // Every batch ends with this call (timers and control calls too); only those after input matter here.
    inputBatchEnd(): void {
      if (inputsAtEnd === this.segments.length) return;
      ends++;
      inputsAtEnd = this.segments.length;
      // A merged ACK, as the engine's SACK compression sends it.
      assert.ok(sendSegment(h.ip.stack.tcpHost, flow4('198.18.0.2', 80, '198.18.0.1', 40000), { seq: 9000, ack: 1, flags: TcpFlags.Ack }));
    }
  })();
  h.ip.stack.attachTcp(tcp);
  tcp.onInput = (flow) => {
    assert.ok(sendSegment(h.ip.stack.tcpHost, copyFlow(flow), { seq: 5000, ack: 1, flags: TcpFlags.Ack }));
  };
  h.lab.inject([syn(4, 1), syn(4, 2), syn(4, 3)]);
  await labPump(h, 0);
  assert.equal(inputsAtEnd, 3, 'after every segment of the indication');
  const sent = h.lab.take();
  assert.equal(sent.length, 4);
  assert.equal(new Set(sent.map((s) => s.batch)).size, 1, 'one NdisSendNetBufferLists');
  assert.equal(new TcpView().bind(sent[3]!.frame, 34).seqNumber, 9000);
  assert.equal(ends, 1, 'once for the indication');
  h.lab.inject([syn(4, 4)]);
  await labPump(h, 0);
  assert.equal(ends, 2);
  assert.equal(inputsAtEnd, 4);
  await finishLab(h);
});
