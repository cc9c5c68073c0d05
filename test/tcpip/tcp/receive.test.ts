/**
 * The receive side: the out-of-order store bounded by the window rather than a count of ranges (the
 * assembler against a byte-set model, and whole connections fed any in-window segment set), SACK
 * blocks in RFC 2018 order written out byte for byte, a D-SACK (RFC 2883) for every kind of duplicate,
 * and the ACK policy on a fake clock: every second full-sized segment, one ACK per coalesced frame,
 * at once on hole fills and duplicates, and out-of-order ACKs compressed after the first three per
 * hole (Linux's SACK compression).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ASSEMBLER_HARD_MAX_RANGES, Assembler } from '../../../src/drivers/protocol/tcpip/tcp/assembler.js';
import type { TcpConfig } from '../../../src/drivers/protocol/tcpip/tcp/api.js';
import type { TcpConnection } from '../../../src/drivers/protocol/tcpip/tcp/api.js';
import { F, type SegmentSpec, buildSegment, decode, injectTo, tcb } from '../../support/tcp-inject.js';
import { type TcpLink, connectedPair, pattern, reverseFlow } from '../../support/tcp-link.js';

/**
 * A connection whose client receives hand-made segments. What the client sends is recorded and then
 * dropped, so the real server (which never sent that data) does not answer it.
 */
function receiver(config: Partial<TcpConfig> = {}): { link: TcpLink; conn: TcpConnection; got: () => Uint8Array; base: number } {
  // 1 MiB buffers from the start (no autotuning): the scripted segments lie within the receive window,
  // and a test's send is queued whole.
  // Pacing off: a test's send leaves as one burst, as from an unpaced sender.
  const fixed: Partial<TcpConfig> = { receiveBufferSize: 1 << 20, receiveBufferAutotuning: false, sendBufferSize: 1 << 20, sendBufferAutotuning: false, pacing: false };
  const { link, client } = connectedPair({ config: { ...fixed, ...config } });
  link.filter = (from) => (from === 'a' ? 'drop' : 'pass');
  const conn = client.conn!;
  return { link, conn, got: () => client.data(), base: tcb(conn).rcvNxt };
}

/** Segments `from` (the client) sent since trace index `mark`, decoded, with their raw bytes. */
function sentSince(link: TcpLink, mark: number): { raw: Uint8Array; seg: ReturnType<typeof decode> }[] {
  return link.trace
    .slice(mark)
    .filter((r) => r.from === 'a')
    .map((r) => ({ raw: r.bytes, seg: decode(r.bytes) }));
}

function data(conn: TcpConnection, link: TcpLink, seq: number, bytes: Uint8Array, extra: Partial<SegmentSpec> = {}): void {
  injectTo(link.a, conn, { seq, ack: tcb(conn).sndNxt, flags: F.Ack, payload: bytes, ...extra });
}

const be32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
/** The SACK option as writeDataOptions lays it out (NOP NOP kind len blocks), as hex. */
const sackHex = (blocks: readonly (readonly [number, number])[]): string => `0101 05${(2 + 8 * blocks.length).toString(16).padStart(2, '0')} ${blocks.map(([l, r]) => `${be32(l)} ${be32(r)}`).join(' ')}`;
const optionsHex = (raw: Uint8Array): string => Buffer.from(raw.subarray(20, (raw[12]! >>> 4) * 4)).toString('hex');
const squash = (s: string): string => s.replace(/\s+/g, '');

test('assembler: the store grows on demand (doubling, within the limit) and stays exact against a byte-set model', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 9 })), { maxLength: 120 }),
      (initial, limit, adds) => {
        const a = new Assembler(initial);
        let base = 0;
        const have = new Set<number>();
        for (const [off, len] of adds) {
          if (off === 0) {
            const n = a.advance(len);
            let dup = 0;
            for (let i = 0; i < len; i++) if (have.has(base + i)) dup++;
            assert.equal(a.dupBytes, dup, 'advance reports the bytes it covered again');
            for (let i = 0; i < len; i++) have.add(base + i);
            let expect = 0;
            while (have.has(base + expect)) have.delete(base + expect++);
            assert.equal(n, expect);
            base += n;
          } else {
            const before = a.count;
            const capBefore = a.capacity;
            let dup = 0;
            for (let i = 0; i < len; i++) if (have.has(base + off + i)) dup++;
            const ok = a.add(off, len, limit);
            if (ok) {
              for (let i = 0; i < len; i++) have.add(base + off + i);
              assert.equal(a.dupBytes, dup, 'add reports the bytes already held');
              if (dup > 0) {
                // The first duplicate piece, as offsets from RCV.NXT.
                assert.ok(a.dupEnd > a.dupStart);
                for (let x = a.dupStart; x < a.dupEnd; x++) assert.ok(x >= off && x < off + len && have.has(base + x));
              }
            } else {
              assert.equal(before, capBefore, 'refused only when every slot is used');
              assert.ok(capBefore >= Math.min(limit, ASSEMBLER_HARD_MAX_RANGES) || capBefore * 2 > limit || before >= limit, 'and the store may not grow');
            }
          }
          const bytes = new Set<number>();
          let total = 0;
          for (let i = 0; i < a.count; i++) {
            assert.ok(a.start(i) > 0 && a.start(i) < a.end(i));
            if (i > 0) assert.ok(a.end(i - 1) < a.start(i));
            for (let x = a.start(i); x < a.end(i); x++) bytes.add(base + x);
            total += a.end(i) - a.start(i);
          }
          assert.deepEqual([...bytes].sort((x, y) => x - y), [...have].sort((x, y) => x - y));
          assert.equal(a.bytes, total);
          assert.ok(a.capacity <= Math.max(initial, limit), 'the store never grows beyond the limit');
          for (let x = 1; x < 40; x++) assert.equal(a.contains(x), have.has(base + x));
        }
      },
    ),
  );
});

test('assembler: the range limit follows the window in half segments, within the initial store and the hard cap', () => {
  const a = new Assembler(16);
  assert.equal(a.rangeLimit(1 << 20, 1448), Math.ceil((1 << 20) / 724) + 1);
  assert.equal(a.rangeLimit(1000, 1448), 16);
  assert.equal(a.rangeLimit(1 << 30, 536), ASSEMBLER_HARD_MAX_RANGES);
  // 1000 ranges within a window: all kept, the store doubled to 1024.
  for (let i = 0; i < 1000; i++) assert.ok(a.add(2 + 4 * i, 2, a.rangeLimit(1 << 20, 1448)));
  assert.equal(a.count, 1000);
  assert.equal(a.capacity, 1024);
  assert.equal(a.bytes, 2000);
});

test('receive: out-of-order data needing hundreds of ranges is kept (no assemblerFull) and reassembles byte-exactly', () => {
  const { link, conn, got, base } = receiver();
  const seg = 1000;
  const n = 300;
  const all = pattern(2 * n * seg, 5);
  // Every other segment first (300 ranges), then the holes, last to first.
  for (let k = 1; k < 2 * n; k += 2) data(conn, link, base + k * seg, all.subarray(k * seg, (k + 1) * seg));
  assert.equal(link.a.layer.counters.assemblerFull, 0);
  assert.equal(tcb(conn).assembler.count, n);
  assert.equal(conn.info().outOfOrderBytes, n * seg);
  for (let k = 2 * n - 2; k >= 0; k -= 2) data(conn, link, base + k * seg, all.subarray(k * seg, (k + 1) * seg));
  assert.equal(link.a.layer.counters.assemblerFull, 0);
  assert.deepEqual(got(), all);
  assert.equal(conn.info().outOfOrderBytes, 0);
});

test('receive: any set of in-window segments (reordered, duplicated, re-cut) reassembles byte-exactly; out-of-order bytes stay within the window', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 4000, max: 60_000 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 268, max: 1460 })), { maxLength: 40 }),
      fc.integer({ min: 1, max: 1 << 30 }),
      (total, extra, seed) => {
        const { link, conn, got, base } = receiver();
        const t = tcb(conn);
        const all = pattern(total, seed);
        // A covering segmentation, then retransmissions cut differently (any slice of the data).
        const pieces: [number, number][] = [];
        for (let at = 0, i = 0; at < total; i++) {
          const len = Math.min(total - at, 268 + ((seed >>> (i % 20)) + i * 97) % 1193);
          pieces.push([at, len]);
          at += len;
        }
        for (const [s, len] of extra) {
          const l = Math.min(len, total);
          pieces.push([s % (total - l + 1), l]);
        }
        // Deterministic shuffle from the seed.
        let r = seed;
        for (let i = pieces.length - 1; i > 0; i--) {
          r = (Math.imul(r, 1103515245) + 12345) >>> 0;
          const j = r % (i + 1);
          [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
        }
        for (const [at, len] of pieces) {
          data(conn, link, base + at, all.subarray(at, at + len));
          const wnd = (t.rcvAdvRight - t.rcvNxt) | 0;
          assert.ok(t.assembler.bytes <= wnd, 'out-of-order bytes within the advertised window');
        }
        assert.equal(link.a.layer.counters.assemblerFull, 0);
        assert.deepEqual(got(), all);
      },
    ),
    { numRuns: 40 },
  );
});

test('sack: blocks in RFC 2018 order (newest first, then most recently changed), D-SACK first with its containing block second — byte-exact options', () => {
  // No timestamps: four blocks fit, and the options are only the SACK option.
  const { link, conn, base: R } = receiver({ timestamps: false, sackCompressSegments: 0 });
  const step = (off: number, len = 100): string => {
    const mark = link.trace.length;
    data(conn, link, R + off, pattern(len, 9));
    const acks = sentSince(link, mark);
    assert.equal(acks.length, 1, `one ACK for the segment at +${off}`);
    return optionsHex(acks[0]!.raw);
  };
  const b = (l: number, r: number): [number, number] => [R + l, R + r];
  assert.equal(step(1000), squash(sackHex([b(1000, 1100)])));
  assert.equal(step(3000), squash(sackHex([b(3000, 3100), b(1000, 1100)])));
  assert.equal(step(2000), squash(sackHex([b(2000, 2100), b(3000, 3100), b(1000, 1100)])));
  // Extending the oldest range makes it the newest.
  assert.equal(step(1100), squash(sackHex([b(1000, 1200), b(2000, 2100), b(3000, 3100)])));
  assert.equal(step(4000), squash(sackHex([b(4000, 4100), b(1000, 1200), b(2000, 2100), b(3000, 3100)])));
  // Five ranges, four blocks: the one changed longest ago is left out.
  assert.equal(step(5000), squash(sackHex([b(5000, 5100), b(4000, 4100), b(1000, 1200), b(2000, 2100)])));
  // A duplicate inside a held range: D-SACK first (RFC 2883 §4), then the range holding it, then the newest others.
  assert.equal(step(3000), squash(sackHex([b(3000, 3100), b(3000, 3100), b(5000, 5100), b(4000, 4100)])));
  // A segment joining two ranges: the merged range comes first.
  assert.equal(step(2100, 900), squash(sackHex([b(2000, 3100), b(5000, 5100), b(4000, 4100), b(1000, 1200)])));
  // The first hole filled: the ACK moves to the end of the first range; the rest keep their order.
  const mark = link.trace.length;
  data(conn, link, R, pattern(1000, 3));
  const [ack] = sentSince(link, mark);
  assert.equal(ack!.seg.ackNumber, (R + 1200) >>> 0);
  assert.equal(optionsHex(ack!.raw), squash(sackHex([b(2000, 3100), b(5000, 5100), b(4000, 4100)])));
});

interface DsackCase {
  name: string;
  /** Segments as [offset from RCV.NXT at the start, length, timestamp value (0: no option)]. */
  before: [number, number, number][];
  dup: [number, number, number];
  /** The D-SACK block and the block after it (null: none), as offsets; the ACK number's offset. */
  dsack: [number, number];
  second: [number, number] | null;
  ack: number;
}

const DSACK_CASES: DsackCase[] = [
  { name: 'a whole segment below RCV.NXT, before its ACK went out', before: [[0, 500, 0]], dup: [0, 500, 0], dsack: [0, 500], second: null, ack: 500 },
  { name: 'a whole segment below the last ACK sent (out of window)', before: [[0, 1000, 0], [1000, 1000, 0]], dup: [0, 1000, 0], dsack: [0, 1000], second: null, ack: 2000 },
  { name: 'a segment straddling RCV.NXT', before: [[0, 500, 0]], dup: [300, 400, 0], dsack: [300, 500], second: null, ack: 700 },
  { name: 'a segment inside an out-of-order range', before: [[1000, 500, 0]], dup: [1100, 200, 0], dsack: [1100, 1300], second: [1000, 1500], ack: 0 },
  { name: 'a segment overlapping an out-of-order range', before: [[1000, 500, 0]], dup: [1300, 500, 0], dsack: [1300, 1500], second: [1000, 1800], ack: 0 },
  { name: 'a segment spanning a hole and an out-of-order range', before: [[1000, 500, 0]], dup: [800, 800, 0], dsack: [1000, 1500], second: [800, 1600], ack: 0 },
  { name: 'in-order data covering held out-of-order data', before: [[1000, 500, 0]], dup: [0, 1200, 0], dsack: [1000, 1200], second: null, ack: 1500 },
  { name: 'a retransmission PAWS rejects (old timestamp)', before: [[0, 1000, 1000], [1000, 1000, 2000], [2000, 500, 3000]], dup: [0, 1000, 1500], dsack: [0, 1000], second: null, ack: 2500 },
];

for (const c of DSACK_CASES) {
  test(`d-sack: reported for ${c.name} (RFC 2883)`, () => {
    const { link, conn, base: R } = receiver();
    const counters = link.a.layer.counters;
    // Timestamps relative to the server's last one (TS.Recent), so only the old one fails PAWS.
    const ts0 = tcb(conn).tsRecent;
    const send = ([off, len, ts]: [number, number, number]): void =>
      data(conn, link, R + off, pattern(len, 4).fill(off & 0xff, 0, 1), ts === 0 ? {} : { options: { timestamps: { value: (ts0 + ts) >>> 0, echo: 0 } } });
    for (const s of c.before) send(s);
    const dupBytesBefore = counters.duplicateBytes;
    const dsacksBefore = counters.dsacksSent;
    const mark = link.trace.length;
    send(c.dup);
    const acks = sentSince(link, mark);
    assert.equal(acks.length, 1, 'the duplicate is answered at once');
    const s = acks[0]!.seg;
    assert.equal(s.ackNumber, (R + c.ack) >>> 0);
    const blocks = s.options.sackBlocks;
    assert.deepEqual(blocks[0], { left: (R + c.dsack[0]) >>> 0, right: (R + c.dsack[1]) >>> 0 }, 'the D-SACK block comes first');
    if (c.second !== null) assert.deepEqual(blocks[1], { left: (R + c.second[0]) >>> 0, right: (R + c.second[1]) >>> 0 }, 'then the range holding it');
    else assert.ok(blocks.length === 1 || (blocks[1]!.left >>> 0) !== (R + c.dsack[0]) >>> 0);
    assert.equal(counters.dsacksSent - dsacksBefore, 1);
    assert.ok(counters.duplicateBytes - dupBytesBefore >= c.dsack[1] - c.dsack[0]);
    // Reported once: the next ACK carries no D-SACK.
    const mark2 = link.trace.length;
    data(conn, link, R + 20_000, pattern(100));
    const next = sentSince(link, mark2)[0]!.seg.options.sackBlocks;
    assert.deepEqual(next[0], { left: (R + 20_000) >>> 0, right: (R + 20_100) >>> 0 });
  });
}

test('d-sack: a duplicate reported by the first segment of a data burst is not repeated by the rest (RFC 2883 §4)', () => {
  const { link, conn, base: R } = receiver();
  const t = tcb(conn);
  // The initial window goes out (and is dropped); the rest of the data waits for ACKs.
  assert.equal(conn.send(pattern(200_000), 0, 200_000), 200_000);
  data(conn, link, R, pattern(500), { ack: t.sndUna });
  const mark = link.trace.length;
  // The same data again, with an ACK of everything sent: a burst of new segments follows at once.
  data(conn, link, R, pattern(500), { ack: t.sndNxt });
  const burst = sentSince(link, mark).filter((r) => r.seg.payloadLength > 0);
  assert.ok(burst.length >= 4, `${burst.length} segments`);
  assert.deepEqual(burst[0]!.seg.options.sackBlocks, [{ left: R >>> 0, right: (R + 500) >>> 0 }]);
  for (const r of burst.slice(1)) assert.deepEqual(r.seg.options.sackBlocks, []);
  assert.equal(link.a.layer.counters.dsacksSent, 1);
});

test('ack policy: a full-sized segment waits, the second is ACKed at once, a lone one after delayedAckMs (fake clock)', () => {
  const { link, conn, base: R } = receiver({ delayedAckMs: 40 });
  const c = link.a.layer.counters;
  const mark = link.trace.length;
  data(conn, link, R, pattern(1000));
  assert.equal(sentSince(link, mark).length, 0);
  data(conn, link, R + 1000, pattern(1000));
  assert.equal(sentSince(link, mark).length, 1);
  data(conn, link, R + 2000, pattern(1000));
  link.run(39);
  assert.equal(sentSince(link, mark).filter((r) => r.seg.payloadLength === 0).length, 1);
  link.run(2);
  const acks = sentSince(link, mark).filter((r) => r.seg.payloadLength === 0);
  assert.equal(acks.length, 2);
  assert.equal(acks[1]!.seg.ackNumber, (R + 3000) >>> 0);
  assert.equal(c.delayedAcks, 1);
});

test('ack policy: one ACK per coalesced (RSC) frame, at once', () => {
  const { link, conn, base: R } = receiver();
  const mark = link.trace.length;
  for (let i = 0; i < 3; i++) {
    const bytes = buildSegment(reverseFlow(conn.flow), { seq: R + i * 4000, ack: tcb(conn).sndNxt, flags: F.Ack, payload: pattern(4000, i) });
    link.a.layer.input(conn.flow, bytes, 0, bytes.length, 4);
  }
  const acks = sentSince(link, mark);
  assert.deepEqual(acks.map((a) => a.seg.ackNumber), [R + 4000, R + 8000, R + 12000].map((x) => x >>> 0));
  assert.equal(link.a.layer.counters.dataSegmentsIn, 12);
});

test('ack policy: a hole fill is ACKed at once even when other holes remain (RFC 5681 §4.2)', () => {
  const { link, conn, base: R } = receiver();
  data(conn, link, R + 1000, pattern(1000));
  data(conn, link, R + 3000, pattern(1000));
  const mark = link.trace.length;
  data(conn, link, R, pattern(1000));
  const acks = sentSince(link, mark);
  assert.equal(acks.length, 1);
  assert.equal(acks[0]!.seg.ackNumber, (R + 2000) >>> 0);
  assert.deepEqual(acks[0]!.seg.options.sackBlocks, [{ left: (R + 3000) >>> 0, right: (R + 4000) >>> 0 }]);
});

test('ack policy: out-of-order segments — three ACKs at once per hole, then compressed (≤ 44 merged, flushed after min(1 ms, SRTT/20))', () => {
  const { link, conn, base: R } = receiver();
  const c = link.a.layer.counters;
  const mark = link.trace.length;
  for (let k = 1; k <= 100; k++) data(conn, link, R + k * 1000, pattern(1000, k));
  const now = sentSince(link, mark);
  // 1, 2, 3 at once; 4..47 merged (44); the 48th at once; 49..92 merged; the 93rd at once; 94..100 wait.
  assert.deepEqual(
    now.map((a) => a.seg.options.sackBlocks[0]!.right),
    [1, 2, 3, 48, 93].map((k) => (R + (k + 1) * 1000) >>> 0),
  );
  assert.equal(c.compressedAcks, 44 + 44 + 7);
  link.run(1);
  const after = sentSince(link, mark);
  assert.equal(after.length, 6, 'the merged ones are flushed by the compression timer');
  assert.deepEqual(after[5]!.seg.options.sackBlocks[0], { left: (R + 1000) >>> 0, right: (R + 101_000) >>> 0 });
  assert.equal(c.delayedAcks, 0, 'a compression flush is not a delayed ACK');
  // The hole filled: ACKed at once; a new hole starts a new count of three.
  const m2 = link.trace.length;
  data(conn, link, R, pattern(1000));
  for (let k = 102; k <= 106; k++) data(conn, link, R + k * 1000, pattern(1000, k));
  assert.deepEqual(sentSince(link, m2).map((a) => a.seg.ackNumber >>> 0), [101_000, 101_000, 101_000, 101_000].map((x) => (R + x) >>> 0));
});

test('ack policy: merged ACKs lose no SACK information — every out-of-order segment is reported by some later ACK (any arrival order)', () => {
  // Mostly rising (a sender's flight with losses: extend the top, or skip lost slots), sometimes a
  // retransmission into an older gap.
  const move = fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 3, arbitrary: fc.integer({ min: 2, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: -30, max: -1 }) });
  fc.assert(
    fc.property(fc.array(move, { minLength: 5, maxLength: 150 }), (moves) => {
      const slots: number[] = [];
      let top = 0;
      for (const m of moves) {
        if (m > 0) {
          top += m;
          slots.push(top);
        } else if (top + m >= 1) slots.push(top + m);
      }
      const { link, conn, base: R } = receiver();
      const marks: number[] = [];
      for (const k of slots) {
        marks.push(link.trace.length);
        data(conn, link, R + k * 1000, pattern(1000, k));
      }
      link.run(2);
      const acks = link.trace.map((r, i) => ({ i, r })).filter(({ r }) => r.from === 'a').map(({ i, r }) => ({ i, seg: decode(r.bytes) }));
      slots.forEach((k, n) => {
        const left = (R + k * 1000) | 0;
        const right = (R + (k + 1) * 1000) | 0;
        const covers = (l: number, r: number): boolean => ((left - l) | 0) >= 0 && ((r - right) | 0) >= 0;
        const reported = acks.some(({ i, seg }) => i >= marks[n]! && (((seg.ackNumber | 0) - right) | 0) >= 0) || acks.some(({ i, seg }) => i >= marks[n]! && seg.options.sackBlocks.some((b) => covers(b.left | 0, b.right | 0)));
        assert.ok(reported, `segment ${n} (slot ${k}) never reported after it arrived`);
      });
    }),
    { numRuns: 200 },
  );
});

test('ack policy: merged ACKs go out when the host ends its receive batch (inputBatchEnd), without waiting for the timer', () => {
  const { link, conn, base: R } = receiver();
  const mark = link.trace.length;
  for (let k = 1; k <= 10; k++) data(conn, link, R + k * 1000, pattern(1000, k));
  assert.equal(sentSince(link, mark).length, 3);
  link.a.layer.inputBatchEnd();
  const acks = sentSince(link, mark);
  assert.equal(acks.length, 4, 'the merged ACK, at once');
  assert.deepEqual(acks[3]!.seg.options.sackBlocks[0], { left: (R + 1000) >>> 0, right: (R + 11_000) >>> 0 });
  // Nothing more is owed: neither a second batch end nor the timer sends another.
  link.a.layer.inputBatchEnd();
  link.run(5);
  assert.equal(sentSince(link, mark).length, 4);
});

test('ack policy: TcpSackCompressSegments 0 ACKs every out-of-order segment at once (RFC 5681 §4.2 literally)', () => {
  const { link, conn, base: R } = receiver({ sackCompressSegments: 0 });
  const mark = link.trace.length;
  for (let k = 1; k <= 20; k++) data(conn, link, R + k * 1000, pattern(1000, k));
  assert.equal(sentSince(link, mark).length, 20);
  assert.equal(link.a.layer.counters.compressedAcks, 0);
});

test('ack policy: on a lossy link, compression merges out-of-order ACKs without costing the sender retransmissions; byte-exact', () => {
  const run = (sackCompressSegments: number): { acks: number; data: number; ooo: number; merged: number; retrans: number } => {
    // No bottleneck and an unpaced sender: each flight arrives in bursts, as frames do from a NIC or a TAP.
    const { link, client, server } = connectedPair({ ab: { lossRate: 0.03, delayMs: 2 }, ba: { delayMs: 2 }, seed: 3, config: { sackCompressSegments, pacing: false } });
    const payload = pattern(3 << 20, 11);
    client.write(payload, true);
    assert.ok(link.runUntil(() => server.received === payload.length, 120_000), `received ${server.received}`);
    assert.deepEqual(server.data(), payload);
    const c = link.b.layer.counters;
    assert.equal(c.assemblerFull, 0);
    return { acks: c.acksSent, data: c.dataSegmentsIn, ooo: c.outOfOrderSegments, merged: c.compressedAcks, retrans: link.a.layer.counters.retransSegs };
  };
  const literal = run(0);
  const linux = run(44);
  const info = `RFC 5681 literal ${JSON.stringify(literal)}, compressed ${JSON.stringify(linux)}`;
  assert.ok(linux.ooo > 300 && linux.merged > 100, info);
  assert.equal(literal.merged, 0);
  // Without compression every out-of-order segment has its ACK; with it, many of those are merged.
  // (With RACK deciding the sender's recovery, its repairs open and fill holes more often, and each such
  // change flushes a merged ACK first: about 40 % of the out-of-order ACKs are saved here, not half.)
  assert.ok(literal.acks >= literal.ooo, info);
  assert.ok(linux.acks < literal.acks - linux.ooo / 3, info);
  // The merged ACKs still report every range (flushed before SACK information would be pushed out):
  // the sender repairs the same losses, not more.
  assert.ok(linux.retrans <= literal.retrans * 1.1 + 5, info);
});
