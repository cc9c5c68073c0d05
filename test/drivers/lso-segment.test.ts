/**
 * Software LSO segmentation against hand-built segments: the offload digest's worked example (MSS 1460,
 * 4000 bytes, IP ID 0x7FFE wrapping to 0x0000 under LSOv2, PSH/FIN last, CWR first, timestamps
 * replicated unchanged), IPv6, LSOv1 ID wrap, running out of memory, hostile input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LSO_SEGMENT_BAD_MSS, LSO_SEGMENT_MALFORMED, LsoSegmenter, type SegmentTarget } from '../../src/drivers/common/lso-segment.js';
import { NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4, NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6, lsoV1Transmit, lsoV2Transmit } from '../../src/ndis/nbl-info-bits.js';
import { ip4, mac } from '../support/frames.js';
import { L4_OFFSET, TCP_ACK, TCP_FIN, TCP_PSH, checksumsValid, lsoV2Form, lsoV2Form6, tcp4Frame, tcp6Frame } from '../support/offload-frames.js';

const CWR = 0x80;
const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const base = { srcMac: A, dstMac: B, src: ip4('198.18.1.2'), dst: ip4('198.18.1.1'), sport: 49152, dport: 80, ack: 0x0badf00d, window: 4096 };
/** Timestamps (TSval 0x01020304, TSecr 0x05060708) after two NOPs. */
const TS = Uint8Array.of(1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8);
const S = 0xfffff000; // the sequence numbers wrap too

/** Segments into fresh buffers (with junk around each segment) and returns copies of the segments. */
function run(seg: LsoSegmenter, frame: Uint8Array, info: number): Uint8Array[] | number {
  const out: Uint8Array[] = [];
  let cur = new Uint8Array(0);
  const n = seg.segment(frame, 0, frame.length, info, (len, _i, t: SegmentTarget) => {
    cur = new Uint8Array(len + 6).fill(0xa5);
    t.bytes = cur;
    t.offset = 3;
    return true;
  }, (len) => {
    assert.deepEqual([...cur.subarray(0, 3), ...cur.subarray(3 + len)], [0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5], 'nothing written around the segment');
    out.push(cur.slice(3, 3 + len));
  });
  return n < 0 ? n : out;
}

test('the worked example: IPv4, MSS 1460, 4000 bytes, IP ID 0x7FFE → 0x7FFE, 0x7FFF, 0x0000; flags and options per segment', () => {
  const payload = Uint8Array.from({ length: 4000 }, (_, i) => (i * 31 + 7) & 0xff);
  const template = tcp4Frame({ ...base, seq: S, flags: TCP_ACK | TCP_PSH | TCP_FIN | CWR, options: TS, payload, id: 0x7ffe });
  const lso = lsoV2Form(template);
  const seg = new LsoSegmenter();
  const got = run(seg, lso, lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 })) as Uint8Array[];
  const expected = [
    tcp4Frame({ ...base, seq: S, flags: TCP_ACK | CWR, options: TS, payload: payload.subarray(0, 1460), id: 0x7ffe }),
    tcp4Frame({ ...base, seq: S + 1460, flags: TCP_ACK, options: TS, payload: payload.subarray(1460, 2920), id: 0x7fff }),
    tcp4Frame({ ...base, seq: (S + 2920) >>> 0, flags: TCP_ACK | TCP_PSH | TCP_FIN, options: TS, payload: payload.subarray(2920), id: 0x0000 }),
  ];
  assert.equal(got.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.equal(Buffer.from(got[i]!).toString('hex'), Buffer.from(expected[i]!).toString('hex'), `segment ${i}`);
    assert.ok(checksumsValid(got[i]!));
  }
  assert.deepEqual(got.map((g) => g.length - 14 - 20 - 32), [1460, 1460, 1080]);
});

test('IPv6: payload length per segment, no identification, checksums over the IPv6 pseudo-header', () => {
  const src = Uint8Array.from({ length: 16 }, (_, i) => 0x20 + i);
  const dst = Uint8Array.from({ length: 16 }, (_, i) => 0x80 - i);
  const payload = Uint8Array.from({ length: 2900 }, (_, i) => i & 0xff);
  const b6 = { srcMac: A, dstMac: B, src, dst, sport: 1, dport: 2, ack: 9 };
  const lso = lsoV2Form6(tcp6Frame({ ...b6, seq: 100, flags: TCP_ACK | TCP_PSH, payload }));
  const got = run(new LsoSegmenter(), lso, lsoV2Transmit({ mss: 1440, tcpHeaderOffset: 54, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 })) as Uint8Array[];
  const expected = [
    tcp6Frame({ ...b6, seq: 100, flags: TCP_ACK, payload: payload.subarray(0, 1440) }),
    tcp6Frame({ ...b6, seq: 1540, flags: TCP_ACK, payload: payload.subarray(1440, 2880) }),
    tcp6Frame({ ...b6, seq: 2980, flags: TCP_ACK | TCP_PSH, payload: payload.subarray(2880) }),
  ];
  assert.deepEqual(got.map((g) => Buffer.from(g).toString('hex')), expected.map((e) => Buffer.from(e).toString('hex')));
});

test('LSOv1: the identification wraps at 16 bits; a payload that fits one MSS is one segment', () => {
  const payload = new Uint8Array(3000).fill(1);
  const template = tcp4Frame({ ...base, seq: 1, flags: TCP_ACK, payload, id: 0xffff });
  const v1 = template.slice(); // LSOv1 keeps the full total length; the seed is the same as for LSOv2
  v1.set(lsoV2Form(template).subarray(50, 52), 50);
  const got = run(new LsoSegmenter(), v1, lsoV1Transmit({ mss: 1000, tcpHeaderOffset: L4_OFFSET })) as Uint8Array[];
  assert.deepEqual(got.map((g) => (g[18]! << 8) | g[19]!), [0xffff, 0x0000, 0x0001]);
  assert.ok(got.every(checksumsValid));
  const one = run(new LsoSegmenter(), lsoV2Form(tcp4Frame({ ...base, seq: 1, flags: TCP_ACK | TCP_FIN, payload: payload.subarray(0, 500) })), lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: 0 })) as Uint8Array[];
  assert.equal(one.length, 1);
  assert.deepEqual(one[0], tcp4Frame({ ...base, seq: 1, flags: TCP_ACK | TCP_FIN, payload: payload.subarray(0, 500) }));
});

test('out of memory stops after the segments that got some; malformed templates are refused', () => {
  const seg = new LsoSegmenter();
  const lso = lsoV2Form(tcp4Frame({ ...base, seq: 1, flags: TCP_ACK, payload: new Uint8Array(5000) }));
  const info = lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: 0 });
  const mem = new Uint8Array(4000);
  let done = 0;
  const n = seg.segment(lso, 0, lso.length, info, (len, i, t) => {
    if (i === 2) return false;
    t.bytes = mem;
    t.offset = i * 1600;
    return len <= 1600;
  }, () => done++);
  assert.equal(n, 2);
  assert.equal(done, 2);
  assert.equal(seg.segment(lso, 0, lso.length, lsoV2Transmit({ mss: 1460, tcpHeaderOffset: 30, ipVersion: 0 }), () => true, () => undefined), LSO_SEGMENT_MALFORMED);
  assert.equal(seg.segment(lso, 0, lso.length, lsoV2Transmit({ mss: 1460, tcpHeaderOffset: L4_OFFSET, ipVersion: 1 }), () => true, () => undefined), LSO_SEGMENT_MALFORMED);
  assert.equal(seg.segment(lso, 0, lso.length, lsoV2Transmit({ mss: 0, tcpHeaderOffset: L4_OFFSET, ipVersion: 0 }), () => true, () => undefined), LSO_SEGMENT_BAD_MSS);
  assert.equal(new LsoSegmenter(3).segment(lso, 0, lso.length, lsoV2Transmit({ mss: 1000, tcpHeaderOffset: L4_OFFSET, ipVersion: 0 }), () => true, () => undefined), LSO_SEGMENT_BAD_MSS);
});

test('hostile templates never throw and never write outside the memory given', () => {
  const seg = new LsoSegmenter(64);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.integer({ min: 0, max: 0xffffffff }), (frame, info) => {
      const mem = new Uint8Array(2048).fill(0xa5);
      seg.segment(frame, 0, frame.length, info, (len, i, t) => {
        if ((i + 1) * 512 > mem.length || len > 500) return false;
        t.bytes = mem;
        t.offset = i * 512 + 4;
        return true;
      }, () => undefined);
      for (let i = 0; i < mem.length; i += 512) assert.deepEqual([...mem.subarray(i, i + 4)], [0xa5, 0xa5, 0xa5, 0xa5]);
    }),
    { numRuns: 2000 },
  );
});
