/**
 * Hostile input: garbage and near-miss segments into an established connection, a listener and a
 * closed port never throw, are all counted (inSegs, and inErrs or a named drop counter for the broken
 * ones), and leave the engine consistent: afterwards the connection either still carries data
 * byte-exact or has ended through onClosed with its timers freed. Seeds: test/fuzz/corpus/tcp/.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { TcpFlow } from '../../../src/drivers/protocol/tcpip/tcp/host.js';
import { tcb } from '../../support/tcp-inject.js';
import { SERVER_PORT, connectedPair, pattern, reverseFlow } from '../../support/tcp-link.js';

const CORPUS = fileURLToPath(new URL('../../../../test/fuzz/corpus/tcp/', import.meta.url));
const corpus = readdirSync(CORPUS)
  .filter((n) => n.endsWith('.bin'))
  .sort()
  .map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(CORPUS + n)) }));

function withPorts(seg: Uint8Array, src: number, dst: number): Uint8Array {
  const b = seg.slice();
  if (b.length >= 4 && (b[0] !== 0 || b[1] !== 0)) {
    b[0] = src >> 8;
    b[1] = src;
    b[2] = dst >> 8;
    b[3] = dst;
  }
  return b;
}

/**
 * After the abuse: still a working connection, or a cleanly ended one. `injectedData`: forged bytes
 * with the right sequence number were taken into the client's stream (TCP cannot tell them from the
 * peer's: the peer's own bytes at those numbers then count as duplicates), so only lengths compare.
 */
function assertHealthy(p: ReturnType<typeof connectedPair>, injectedData = false): void {
  const { link, client, server } = p;
  for (const h of [link.a, link.b]) assert.equal(h.layer.internalErrors, 0);
  if (client.conn!.state === 'ESTABLISHED' && server.conn!.state === 'ESTABLISHED') {
    const before = [client.received, server.received];
    client.write(pattern(20_000, 11), false);
    server.write(pattern(15_000, 12), false);
    link.runUntil(() => server.received >= before[1]! + 20_000 && client.received >= before[0]! + 15_000, 120_000, 5);
    if (client.conn!.state === 'ESTABLISHED' && server.conn!.state === 'ESTABLISHED') {
      assert.deepEqual(server.data().subarray(before[1]!), pattern(20_000, 11));
      if (!injectedData) assert.deepEqual(client.data().subarray(before[0]!), pattern(15_000, 12));
    }
  }
  link.run(300_000);
  for (const e of [client, server]) {
    if (e.conn!.state === 'CLOSED') assert.ok(e.closed, 'a closed connection told its application');
  }
  for (const h of [link.a, link.b]) {
    assert.equal(h.outstandingBuffers, 0);
    assert.equal(h.layer.internalErrors, 0);
    if (h.layer.connectionCount === 0) assert.equal(h.liveTimers, 0);
  }
}

test('fuzz: the corpus into an established connection, a listener and a closed port', () => {
  const p = connectedPair();
  const { link, client } = p;
  const conn = client.conn!;
  const toA = conn.flow;
  const toListener: TcpFlow = { family: 4, localAddress: link.b.address, localPort: SERVER_PORT, remoteAddress: link.a.address, remotePort: 33333 };
  const c = link.a.layer.counters;
  const cb = link.b.layer.counters;
  let injectedA = 0;
  let injectedB = 0;
  for (const { bytes } of corpus) {
    const a = withPorts(bytes, toA.remotePort, toA.localPort);
    link.a.layer.input(toA, a, 0, a.length, 1);
    const l = withPorts(bytes, 33333, SERVER_PORT);
    link.b.layer.input(toListener, l, 0, l.length, 1);
    const closed = withPorts(bytes, 33334, 9);
    link.b.layer.input({ ...toListener, localPort: 9, remotePort: 33334 }, closed, 0, closed.length, 1);
    injectedA++;
    injectedB += 2;
  }
  assert.ok(c.inSegs >= injectedA);
  // The malformed ones are named: 3 bad option lengths, 3 bad header lengths, a port 0.
  assert.equal(c.badOptions, 3);
  assert.equal(c.badOffset, 3);
  assert.equal(c.badPort, 1);
  assert.equal(c.inErrs, 7);
  assert.equal(cb.badOptions, 6);
  assert.equal(cb.badOffset, 6);
  assert.equal(cb.badPort, 2);
  assert.ok(cb.inSegs >= injectedB);
  assertHealthy(p);
});

interface Mutant {
  kind: 'raw' | 'built';
  raw: Uint8Array;
  seqDelta: number;
  ackDelta: number;
  flags: number;
  window: number;
  dataOffset: number;
  options: Uint8Array;
  payload: number;
  cut: number;
  coalesced: number;
  target: 'conn' | 'listener' | 'closed';
}

const deltaArb = fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constant(0));
const mutantArb: fc.Arbitrary<Mutant> = fc.record({
  kind: fc.constantFrom('raw' as const, 'built' as const, 'built' as const),
  raw: fc.uint8Array({ maxLength: 80 }),
  seqDelta: deltaArb,
  ackDelta: deltaArb,
  flags: fc.integer({ min: 0, max: 0x1ff }),
  window: fc.integer({ min: 0, max: 0xffff }),
  dataOffset: fc.integer({ min: 0, max: 15 }),
  options: fc.uint8Array({ maxLength: 40 }),
  payload: fc.constantFrom(0, 0, 1, 100, 1448, 3000),
  cut: fc.integer({ min: 0, max: 8 }),
  coalesced: fc.constantFrom(1, 1, 0, -1, 3, 1e9, Number.NaN),
  target: fc.constantFrom('conn' as const, 'conn' as const, 'listener' as const, 'closed' as const),
});

/** A segment near the connection's sequence space, with arbitrary flags, offsets and option bytes. */
function build(m: Mutant, src: number, dst: number, seq: number, ack: number): Uint8Array {
  if (m.kind === 'raw') return m.raw;
  const hl = 20 + m.options.length - (m.options.length % 4);
  const b = new Uint8Array(hl + m.payload);
  b[0] = src >> 8;
  b[1] = src;
  b[2] = dst >> 8;
  b[3] = dst;
  const s = (seq + m.seqDelta) >>> 0;
  const a = (ack + m.ackDelta) >>> 0;
  b.set([s >>> 24, s >>> 16, s >>> 8, s, a >>> 24, a >>> 16, a >>> 8, a], 4);
  b[12] = (m.dataOffset << 4) | (m.flags >> 8);
  b[13] = m.flags & 0xff;
  b[14] = m.window >> 8;
  b[15] = m.window;
  b.set(m.options.subarray(0, hl - 20), 20);
  for (let i = hl; i < b.length; i++) b[i] = i * 7;
  return b.subarray(0, Math.max(0, b.length - m.cut));
}

test('fuzz: random and near-miss segments never throw, are counted, and leave the engine consistent', () => {
  fc.assert(
    fc.property(fc.array(mutantArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (mutants, seed) => {
      const p = connectedPair({ seed });
      const { link, client } = p;
      const conn = client.conn!;
      const t = tcb(conn);
      const peer = reverseFlow(conn.flow);
      const before = link.a.layer.counters.inSegs + link.b.layer.counters.inSegs;
      const receivedBefore = t.bytesReceived;
      const oooBefore = link.a.layer.counters.outOfOrderSegments;
      let expected = 0;
      for (const m of mutants) {
        let flow: TcpFlow;
        let bytes: Uint8Array;
        if (m.target === 'conn') {
          flow = conn.flow;
          bytes = build(m, peer.localPort, peer.remotePort, t.rcvNxt, t.sndNxt);
          link.a.layer.input(flow, bytes, 0, bytes.length, m.coalesced);
        } else {
          const port = m.target === 'listener' ? SERVER_PORT : 9;
          flow = { family: 4, localAddress: link.b.address, localPort: port, remoteAddress: link.a.address, remotePort: 44444 };
          bytes = build(m, 44444, port, 12345, 0);
          link.b.layer.input(flow, bytes, 0, bytes.length, m.coalesced);
        }
        expected += Number.isInteger(m.coalesced) && m.coalesced > 1 ? Math.min(m.coalesced, 0xffff) : 1;
        link.run(m.payload % 7);
      }
      const after = link.a.layer.counters.inSegs + link.b.layer.counters.inSegs;
      assert.ok(after - before >= expected, `inSegs grew by ${String(after - before)}, expected at least ${String(expected)}`);
      assertHealthy(p, t.bytesReceived !== receivedBefore || link.a.layer.counters.outOfOrderSegments !== oooBefore);
    }),
    { numRuns: Number(process.env.TCP_FUZZ_RUNS ?? 300) },
  );
});

test('fuzz: input with bogus arguments from the host is refused and counted', () => {
  const { link, client } = connectedPair();
  const layer = link.a.layer;
  const flow = client.conn!.flow;
  const seg = new Uint8Array(40);
  layer.input(flow, seg, 30, 20, 1); // past the end
  layer.input(flow, seg, -1, 20, 1);
  layer.input(flow, seg, 0.5, 20, 1);
  layer.input({ ...flow, family: 5 as 4 }, seg, 0, 20, 1);
  layer.input({ ...flow, localAddress: new Uint8Array(2) }, seg, 0, 20, 1);
  layer.icmpError({ ...flow, remoteAddress: new Uint8Array(0) }, 'packet-too-big', 1000);
  layer.icmpError(flow, 'bogus' as 'time-exceeded', 0);
  assert.equal(layer.counters.inErrs, 5);
  assert.equal(layer.internalErrors, 0);
  assert.equal(client.conn!.state, 'ESTABLISHED');
});
