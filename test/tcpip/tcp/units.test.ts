/**
 * The engine's building blocks on their own: sequence arithmetic, SipHash-2-4 (reference vectors and
 * an independent BigInt implementation), RFC 6528 ISNs, the byte ring, the out-of-order assembler
 * and the SACK scoreboard (against simple models, with fast-check), the RTO estimator (RFC 6298), and
 * the data-path option writer against the wire layer's emitter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Assembler } from '../../../src/drivers/protocol/tcpip/tcp/assembler.js';
import { FlowHasher, HashDomain } from '../../../src/drivers/protocol/tcpip/tcp/isn.js';
import { dataOptionsLength, writeDataOptions, SegmentOptions } from '../../../src/drivers/protocol/tcpip/tcp/options.js';
import { ByteRing } from '../../../src/drivers/protocol/tcpip/tcp/ring.js';
import { RttEstimator } from '../../../src/drivers/protocol/tcpip/tcp/rtt.js';
import { SackScoreboard } from '../../../src/drivers/protocol/tcpip/tcp/scoreboard.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin } from '../../../src/drivers/protocol/tcpip/tcp/seq.js';
import { sipHash24, sipOut } from '../../../src/drivers/protocol/tcpip/tcp/siphash.js';
import { TcpOptionReader, emitTcpOptions, tcpOptionsLength } from '../../../src/wire/index.js';

test('seq: comparisons wrap around 2^32', () => {
  assert.ok(seqLt(0xffffff00, 0x10));
  assert.ok(seqGt(0x10, 0xffffff00));
  assert.ok(seqLe(5, 5) && seqGe(5, 5));
  assert.equal(seqAdd(0xffffffff, 2), 1);
  assert.equal(seqDiff(1, 0xffffffff), 2);
  assert.equal(seqDiff(0xffffffff, 1), -2);
  assert.equal(seqMax(0xfffffff0, 3), 3);
  assert.equal(seqMin(0xfffffff0, 3), 0xfffffff0);
});

function key(): Uint32Array {
  return new Uint32Array([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
}

/** SipHash-2-4 written the obvious way with BigInt, to check the 32-bit-halves version. */
function sipReference(k: Uint8Array, m: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M;
  const le = (b: Uint8Array, o: number, n: number): bigint => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]!);
    return v;
  };
  const k0 = le(k, 0, 8);
  const k1 = le(k, 8, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const full = m.length - (m.length % 8);
  const blocks: bigint[] = [];
  for (let i = 0; i < full; i += 8) blocks.push(le(m, i, 8));
  blocks.push(le(m, full, m.length - full) | (BigInt(m.length & 0xff) << 56n));
  for (const b of blocks) {
    v3 ^= b;
    round();
    round();
    v0 ^= b;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & M;
}

test('siphash: the paper\'s vectors and agreement with a BigInt reference', () => {
  const k = key();
  sipHash24(k, new Uint8Array(0), 0, 0);
  assert.equal(sipOut[1]!.toString(16) + sipOut[0]!.toString(16).padStart(8, '0'), '726fdb47dd0e0e31');
  const m15 = Uint8Array.from({ length: 15 }, (_, i) => i);
  sipHash24(k, m15, 0, 15);
  assert.equal(sipOut[1]!.toString(16) + sipOut[0]!.toString(16).padStart(8, '0'), 'a129ca6149be45e5');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 70 }), fc.nat(5), (kb, m, pad) => {
      const kw = new Uint32Array(4);
      for (let i = 0; i < 4; i++) kw[i] = (kb[4 * i]! | (kb[4 * i + 1]! << 8) | (kb[4 * i + 2]! << 16) | (kb[4 * i + 3]! << 24)) >>> 0;
      const buf = new Uint8Array(pad + m.length);
      buf.set(m, pad);
      const low = sipHash24(kw, buf, pad, m.length);
      const got = (BigInt(sipOut[1]!) << 32n) | BigInt(sipOut[0]!);
      const want = sipReference(kb, m);
      assert.equal(got, want);
      assert.equal(BigInt(low >>> 0), want & 0xffffffffn);
    }),
    { numRuns: 200 },
  );
});

test('isn: RFC 6528 — a 4 µs clock plus a keyed hash of the 4-tuple', () => {
  let n = 0;
  const h = new FlowHasher(() => [0x11111111, 0x22222222, 0x33333333, 0x44444444][n++ % 4]!);
  const la = new Uint8Array([10, 0, 0, 1]);
  const ra = new Uint8Array([10, 0, 0, 2]);
  const a = h.isn(1000, 4, la, 1000, ra, 80);
  // 1 ms later the ISN moved by exactly 250 ticks of 4 µs.
  assert.equal(seqDiff(h.isn(1001, 4, la, 1000, ra, 80), a), 250);
  // Another tuple at the same time gives an unrelated value; another secret too.
  assert.notEqual(h.isn(1000, 4, la, 1001, ra, 80), a);
  let m = 0;
  const other = new FlowHasher(() => [1, 2, 3, 4][m++ % 4]!);
  assert.notEqual(other.isn(1000, 4, la, 1000, ra, 80), a);
  // The domains are separate.
  assert.notEqual(h.hash(HashDomain.Isn, 4, la, 1000, ra, 80), h.hash(HashDomain.TimestampOffset, 4, la, 1000, ra, 80));
  // Time far in the future still gives a 32-bit number (signed, see seq.ts).
  const late = h.isn(1e12, 4, la, 1000, ra, 80);
  assert.ok(Number.isInteger(late) && late === (late | 0));
});

test('ring: writes, wrap-around, out-of-place writes and reads against a plain array model', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.array(fc.oneof(fc.record({ w: fc.integer({ min: 0, max: 400 }) }), fc.record({ r: fc.integer({ min: 0, max: 400 }) })), { maxLength: 60 }),
      (cap, ops) => {
        const ring = new ByteRing(new Uint8Array(cap));
        const model: number[] = [];
        let next = 0;
        for (const op of ops) {
          if ('w' in op) {
            const src = Uint8Array.from({ length: op.w }, () => next++ & 0xff);
            const n = ring.write(src, 0, src.length);
            assert.equal(n, Math.min(op.w, cap - model.length));
            for (let i = 0; i < n; i++) model.push(src[i]!);
          } else {
            const dst = new Uint8Array(op.r + 3);
            const n = ring.read(dst, 3, op.r);
            assert.equal(n, Math.min(op.r, model.length));
            assert.deepEqual([...dst.subarray(3, 3 + n)], model.splice(0, n));
          }
          assert.equal(ring.length, model.length);
          assert.equal(ring.free, cap - model.length);
        }
      },
    ),
  );
});

test('ring: data written beyond the tail becomes readable once committed, across the wrap', () => {
  const ring = new ByteRing(new Uint8Array(10));
  ring.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), 0, 7);
  const out = new Uint8Array(7);
  ring.read(out, 0, 7);
  // head is at 7: an out-of-order piece at offset 3 wraps.
  ring.writeAt(3, new Uint8Array([40, 50, 60]), 0, 3);
  ring.writeAt(0, new Uint8Array([10, 20, 30]), 0, 3);
  ring.commit(6);
  const got = new Uint8Array(6);
  assert.equal(ring.read(got, 0, 6), 6);
  assert.deepEqual([...got], [10, 20, 30, 40, 50, 60]);
});

test('assembler: ranges, merging, advancing and bounded slots against a byte-set model', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 12 })), { maxLength: 40 }), (slots, adds) => {
      const a = new Assembler(slots);
      let base = 0; // absolute position of RCV.NXT
      const have = new Set<number>(); // absolute bytes recorded beyond base
      for (const [off, len] of adds) {
        if (off === 0) {
          const n = a.advance(len);
          let expect = len;
          while (have.has(base + expect)) expect++;
          // `advance` merges every recorded byte reached by the new data.
          for (let i = 0; i < len; i++) have.add(base + i);
          assert.equal(n, expect);
          for (let i = base; i < base + n; i++) have.delete(i);
          base += n;
        } else {
          const before = a.count;
          const ok = a.add(off, len, slots);
          if (ok) for (let i = 0; i < len; i++) have.add(base + off + i);
          else assert.equal(before, slots);
        }
        // The ranges describe exactly the recorded bytes, sorted, disjoint, not touching.
        const bytes = new Set<number>();
        for (let i = 0; i < a.count; i++) {
          assert.ok(a.start(i) > 0 && a.start(i) < a.end(i));
          if (i > 0) assert.ok(a.end(i - 1) < a.start(i));
          for (let x = a.start(i); x < a.end(i); x++) bytes.add(base + x);
        }
        assert.deepEqual([...bytes].sort((x, y) => x - y), [...have].sort((x, y) => x - y));
        assert.ok(a.count <= slots);
      }
    }),
  );
});

test('assembler: SACK blocks come most recent first (RFC 2018 §4)', () => {
  const a = new Assembler(8);
  a.add(100, 10);
  a.add(300, 10);
  a.add(200, 10);
  a.add(110, 5); // extends the first range: now the most recent
  const out = new Int32Array(8);
  const n = a.sackBlocks(0xfffffff0 | 0, out, 3);
  assert.equal(n, 3);
  assert.deepEqual([...out.subarray(0, 6)], [0xfffffff0 + 100, 0xfffffff0 + 115, 0xfffffff0 + 200, 0xfffffff0 + 210, 0xfffffff0 + 300, 0xfffffff0 + 310].map((x) => x | 0));
});

test('scoreboard: SACK blocks are clamped to the flight, merged, advanced; holes and pipe inputs', () => {
  const sb = new SackScoreboard(4);
  const una = 0xfffffff0;
  const max = seqAdd(una, 10_000);
  assert.equal(sb.add(una, max, seqAdd(una, 1000), seqAdd(una, 2000)), 1000);
  assert.equal(sb.add(una, max, seqAdd(una, 3000), seqAdd(una, 4000)), 1000);
  // Beyond SND.MAX, below SND.UNA, or reversed: ignored.
  assert.equal(sb.add(una, max, seqAdd(una, 9000), seqAdd(una, 10_001)), 0);
  assert.equal(sb.add(una, max, seqAdd(una, -500), una), 0);
  assert.equal(sb.add(una, max, seqAdd(una, 5000), seqAdd(una, 4000)), 0);
  // Overlapping and touching blocks merge.
  assert.equal(sb.add(una, max, seqAdd(una, 1500), seqAdd(una, 3000)), 1000);
  assert.equal(sb.count, 1);
  assert.equal(sb.sackedBytes, 3000);
  assert.equal(sb.highestEnd, 4000);
  assert.ok(sb.nextHole(0));
  assert.deepEqual([sb.holeStart, sb.holeEnd], [0, 1000]);
  assert.equal(sb.nextHole(1000), false);
  assert.equal(sb.holeBytesBelow(4000), 1000);
  sb.advance(1500);
  assert.equal(sb.sackedBytes, 2500);
  assert.ok(!sb.nextHole(0));
  assert.ok(sb.isSacked(0));
  sb.advance(5000);
  assert.equal(sb.count, 0);
});

test('scoreboard: random blocks never claim more than the flight and stay sorted and disjoint', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: -2000, max: 12_000 }), fc.integer({ min: -100, max: 3000 })), { maxLength: 50 }), (blocks) => {
      const sb = new SackScoreboard(5);
      const una = 4_000_000_000;
      const max = seqAdd(una, 10_000);
      for (const [l, len] of blocks) {
        sb.add(una, max, seqAdd(una, l), seqAdd(una, l + len));
        assert.ok(sb.sackedBytes <= 10_000);
        assert.ok(sb.highestEnd <= 10_000);
        assert.ok(sb.count <= 5);
      }
    }),
  );
});

test('rtt: RFC 6298 estimator, bounds and exponential backoff', () => {
  const r = new RttEstimator(200, 60_000, 1000);
  assert.equal(r.rto, 1000);
  r.sample(100);
  assert.equal(r.srtt, 100);
  assert.equal(r.rttvar, 50);
  assert.equal(r.rto, 300);
  r.sample(100);
  assert.equal(r.rttvar, 37.5);
  assert.equal(r.srtt, 100);
  assert.equal(r.rto, 250);
  r.sample(10);
  assert.equal(r.rto, Math.max(200, 0.875 * 100 + 0.125 * 10 + 4 * (0.75 * 37.5 + 0.25 * 90)));
  const base = r.rto;
  r.backOff();
  r.backOff();
  assert.equal(r.rto, base * 4);
  for (let i = 0; i < 40; i++) r.backOff();
  assert.equal(r.rto, 60_000);
  r.sample(1);
  assert.equal(r.backoff, 0);
  assert.ok(r.rto >= 200);
  // Nonsense samples are ignored.
  const before = r.srtt;
  r.sample(Number.NaN);
  r.sample(-5);
  assert.equal(r.srtt, before);
});

test('options: the data-path writer produces exactly what the wire emitter does, and reads back', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.nat(), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }), (ts, val, echo, blocks) => {
      if (ts && blocks.length > 3) blocks = blocks.slice(0, 3);
      const tsValue = val >>> 0;
      const tsEcho = echo >>> 0;
      const sack = new Int32Array(8);
      blocks.forEach(([l, r], i) => {
        sack[2 * i] = l >>> 0;
        sack[2 * i + 1] = r >>> 0;
      });
      const mine = new Uint8Array(40);
      const n = writeDataOptions(mine, 0, ts, tsValue, tsEcho, sack, blocks.length);
      assert.equal(n, dataOptionsLength(ts, blocks.length));
      const opts = {
        mss: null,
        windowScale: null,
        sackPermitted: false,
        sackBlocks: blocks.map(([l, r]) => ({ left: l >>> 0, right: r >>> 0 })),
        timestamps: ts ? { value: tsValue, echo: tsEcho } : null,
      };
      const theirs = new Uint8Array(40);
      const m = emitTcpOptions(opts, theirs, 0);
      assert.equal(m, tcpOptionsLength(opts));
      assert.deepEqual(mine.subarray(0, n), theirs.subarray(0, m));
      const so = new SegmentOptions();
      assert.ok(so.read(new TcpOptionReader(), mine, 0, n));
      assert.equal(so.hasTimestamps, ts);
      if (ts) assert.deepEqual([so.tsValue >>> 0, so.tsEcho >>> 0], [tsValue, tsEcho]);
      assert.equal(so.sackCount, blocks.length);
    }),
  );
});
