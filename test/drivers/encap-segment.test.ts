/**
 * The software encapsulated-offload engine (§6.3–§6.5) against NVGRE and VXLAN frames built
 * independently (test/support/encap-frames.ts): LSO segment by segment, byte for byte (outer and inner
 * IP IDs, lengths, sequence numbers, flags, every checksum), a property over payload sizes / MSS / IP
 * versions / tunnels, checksum-only frames, and lying supplemental info refused with a counter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ENCAP_BAD_LSO,
  ENCAP_HEADERS_TOO_LONG,
  ENCAP_NOT_ENCAPSULATED,
  ENCAP_OFFSETS_MISMATCH,
  ENCAP_OK,
  EncapSegmenter,
} from '../../src/drivers/common/encap-segment.js';
import type { SegmentTarget } from '../../src/drivers/common/lso-segment.js';
import {
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  lsoV1Transmit,
  lsoV2Transmit,
  sendOffloadsSupplemental,
  sendOffloadsSupplementalValue,
} from '../../src/ndis/nbl-info-bits.js';
import { VXLAN_PORT, checksumTemplate, encapChecksumsValid, encapFrame, lsoTemplate, offsetsOf, type EncapFrame } from '../support/encap-frames.js';

const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
const CWR = 0x80;
const TS = Uint8Array.of(1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8);

function supp(f: EncapFrame): number {
  const o = offsetsOf(f);
  return sendOffloadsSupplementalValue(o.innerFrame, o.innerIp - o.innerFrame, o.tcp - o.innerIp, f.inner6, f.options !== undefined);
}

function lso(mss: number): number {
  return lsoV2Transmit({ mss, tcpHeaderOffset: 0, ipVersion: NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 });
}

/** Locates and segments into fresh buffers (junk around each); returns copies or the negative result. */
function run(seg: EncapSegmenter, frame: Uint8Array, s: number, info: number, maxHeader = 256): Uint8Array[] | number {
  const r = seg.locate(frame, 0, frame.length, s, true, VXLAN_PORT, maxHeader);
  if (r !== ENCAP_OK) return r;
  const out: Uint8Array[] = [];
  let cur = new Uint8Array(0);
  const n = seg.segment(frame, 0, frame.length, info, (len, _i, t: SegmentTarget) => {
    cur = new Uint8Array(len + 4).fill(0x5a);
    t.bytes = cur;
    t.offset = 2;
    return true;
  }, (len) => {
    assert.deepEqual([...cur.subarray(0, 2), ...cur.subarray(2 + len)], [0x5a, 0x5a, 0x5a, 0x5a], 'nothing written around the segment');
    out.push(cur.slice(2, 2 + len));
  });
  return n < 0 ? n : out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The segments an encapsulated LSO of `f` must produce, each built independently and complete. */
function expectedSegments(f: EncapFrame, mss: number): Uint8Array[] {
  const n = f.payload.length === 0 ? 1 : Math.ceil(f.payload.length / mss);
  return Array.from({ length: n }, (_, i) => {
    let flags = f.flags;
    if (i !== n - 1) flags &= ~(PSH | FIN);
    if (i !== 0) flags &= ~CWR;
    return encapFrame({
      ...f,
      seq: (f.seq + i * mss) >>> 0,
      flags,
      payload: f.payload.subarray(i * mss, Math.min(f.payload.length, (i + 1) * mss)),
      outerId: ((f.outerId ?? 0) + i) & 0xffff,
      innerId: i === 0 ? (f.innerId ?? 0) : ((f.innerId ?? 0) + i) & 0x7fff,
    });
  });
}

test('VXLAN, IPv4 in IPv4: MSS 1400, 4000 bytes → 1400, 1400, 1200; outer ID 0xFFFE→0xFFFF→0x0000, inner 0x7FFE→0x7FFF→0x0000', () => {
  const payload = Uint8Array.from({ length: 4000 }, (_, i) => (i * 7 + 3) & 0xff);
  const f: EncapFrame = { tunnel: 'vxlan', outer6: false, inner6: false, outerId: 0xfffe, innerId: 0x7ffe, seq: 0xfffff000, flags: ACK | PSH | FIN | CWR, payload, options: TS };
  const seg = new EncapSegmenter();
  const got = run(seg, lsoTemplate(f), supp(f), lso(1400)) as Uint8Array[];
  const exp = expectedSegments(f, 1400);
  assert.equal(got.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.equal(hex(got[i]!), hex(exp[i]!), `segment ${i}`);
    assert.equal(encapChecksumsValid(f, got[i]!), null);
  }
  const o = offsetsOf(f);
  assert.deepEqual(got.map((g) => g.length - o.headerEnd), [1400, 1400, 1200]);
  assert.deepEqual(got.map((g) => (g[o.outerIp + 4]! << 8) | g[o.outerIp + 5]!), [0xfffe, 0xffff, 0x0000]);
  assert.deepEqual(got.map((g) => (g[o.innerIp + 4]! << 8) | g[o.innerIp + 5]!), [0x7ffe, 0x7fff, 0x0000]);
  assert.deepEqual(got.map((g) => g[o.tcp + 13]), [ACK | CWR, ACK, ACK | PSH | FIN]);
  assert.deepEqual({ ...seg.counters }, { ...seg.counters, lsoFrames: 1, lsoSegments: 3 });
});

test('NVGRE IPv4 over IPv6 outer, VXLAN IPv6 over IPv4 outer, NVGRE with the GRE checksum: byte for byte', () => {
  const payload = Uint8Array.from({ length: 3333 }, (_, i) => (i * 13) & 0xff);
  const cases: EncapFrame[] = [
    { tunnel: 'gre', outer6: true, inner6: false, innerId: 5, seq: 1000, flags: ACK | PSH, payload },
    { tunnel: 'vxlan', outer6: false, inner6: true, outerId: 77, seq: 1, flags: ACK | FIN, payload },
    { tunnel: 'vxlan', outer6: true, inner6: true, seq: 9, flags: ACK, payload },
    { tunnel: 'gre', outer6: false, inner6: false, outerId: 3, innerId: 4, seq: 9, flags: ACK, payload, greChecksum: true },
  ];
  for (const f of cases) {
    const got = run(new EncapSegmenter(), lsoTemplate(f), supp(f), lso(1000)) as Uint8Array[];
    assert.ok(Array.isArray(got), `${f.tunnel} ${f.outer6} ${f.inner6}: ${String(got)}`);
    assert.deepEqual(got.map(hex), expectedSegments(f, 1000).map(hex), `${f.tunnel} outer6=${f.outer6} inner6=${f.inner6}`);
    for (const g of got) assert.equal(encapChecksumsValid(f, g), null);
  }
});

test('property: any tunnel, IP versions, payload size and MSS → full-MSS segments, one shorter final one, all valid', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<'vxlan' | 'gre'>('vxlan', 'gre'),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 20000 }),
      fc.integer({ min: 200, max: 1450 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0x7fff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (tunnel, outer6, inner6, size, mss, outerId, innerId, seq) => {
        const payload = Uint8Array.from({ length: size }, (_, i) => (i ^ size) & 0xff);
        const f: EncapFrame = { tunnel, outer6, inner6, outerId, innerId, seq, flags: ACK | PSH | FIN, payload };
        const got = run(new EncapSegmenter(), lsoTemplate(f), supp(f), lso(mss)) as Uint8Array[];
        const exp = expectedSegments(f, mss);
        assert.equal(got.length, exp.length);
        const o = offsetsOf(f);
        for (let i = 0; i < got.length; i++) {
          assert.equal(encapChecksumsValid(f, got[i]!), null, `segment ${i}`);
          assert.equal(got[i]!.length - o.headerEnd, i < got.length - 1 ? mss : size - mss * (got.length - 1));
          assert.equal(hex(got[i]!), hex(exp[i]!));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('checksum only (no LSO): outer IPv4, inner IPv4, inner TCP and the tunnel checksum are finished', () => {
  for (const tunnel of ['vxlan', 'gre'] as const) {
    for (const outer6 of [false, true]) {
      for (const inner6 of [false, true]) {
        const f: EncapFrame = { tunnel, outer6, inner6, outerId: 1, innerId: 2, seq: 5, flags: ACK | PSH, payload: Uint8Array.from({ length: 777 }, (_, i) => i & 0xff), greChecksum: tunnel === 'gre' };
        const b = checksumTemplate(f);
        const seg = new EncapSegmenter();
        assert.equal(seg.locate(b, 0, b.length, supp(f), true, VXLAN_PORT, 256), ENCAP_OK);
        seg.checksum((outer6 ? CHECKSUM_TX_IS_IPV6 : CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IP_HEADER_CHECKSUM) | CHECKSUM_TX_TCP_CHECKSUM, b, 0, b.length);
        assert.equal(hex(b), hex(encapFrame(f)), `${tunnel} outer6=${outer6} inner6=${inner6}`);
        assert.equal(seg.counters.checksumFrames, 1);
      }
    }
  }
});

test('lying supplemental info, unknown tunnels and oversized headers are refused and counted', () => {
  const f: EncapFrame = { tunnel: 'vxlan', outer6: false, inner6: false, seq: 1, flags: ACK, payload: new Uint8Array(3000) };
  const t = lsoTemplate(f);
  const o = offsetsOf(f);
  const seg = new EncapSegmenter();
  const base = { isEncapsulatedPacket: true, encapsulatedPacketOffsetsValid: true, innerFrameOffset: o.innerFrame, transportIpHeaderRelativeOffset: 14, tcpHeaderRelativeOffset: 20 };
  assert.equal(run(seg, t, sendOffloadsSupplemental(base), lso(1000)).constructor, Array);
  const lies = [
    { ...base, innerFrameOffset: o.innerFrame - 4 },
    { ...base, innerFrameOffset: o.innerFrame + 4 },
    { ...base, transportIpHeaderRelativeOffset: 18 },
    { ...base, tcpHeaderRelativeOffset: 24 },
    { ...base, isInnerIPv6: true },
    { ...base, isEncapsulatedPacket: false },
  ];
  for (const l of lies) assert.equal(run(seg, t, sendOffloadsSupplemental(l), lso(1000)), ENCAP_OFFSETS_MISMATCH, JSON.stringify(l));
  assert.equal(seg.counters.refusedOffsets, lies.length);
  // Offsets not given (OffsetsValid clear): the engine parses, IsInnerIPv6 is still checked.
  assert.equal(run(seg, t, sendOffloadsSupplemental({ isEncapsulatedPacket: true }), lso(1000)).constructor, Array);
  // Headers beyond MaxHeaderSizeSupported; VXLAN to another port; GRE when only VXLAN is on; truncated.
  assert.equal(run(seg, t, supp(f), lso(1000), o.headerEnd - 1), ENCAP_HEADERS_TOO_LONG);
  const other = lsoTemplate({ ...f, vxlanPort: 8472 });
  assert.equal(run(seg, other, supp(f), lso(1000)), ENCAP_NOT_ENCAPSULATED);
  const g: EncapFrame = { ...f, tunnel: 'gre' };
  const gt = lsoTemplate(g);
  assert.equal(seg.locate(gt, 0, gt.length, supp(g), false, VXLAN_PORT, 256), ENCAP_NOT_ENCAPSULATED);
  assert.equal(seg.locate(t, 0, o.tcp + 10, supp(f), true, VXLAN_PORT, 256), ENCAP_HEADERS_TOO_LONG);
  assert.equal(seg.counters.refusedNotEncapsulated, 2);
  assert.equal(seg.counters.refusedHeaders, 2);
  // LSOv1 info, MSS 0.
  assert.equal(run(seg, t, supp(f), lsoV1Transmit({ mss: 1000, tcpHeaderOffset: 0 })), ENCAP_BAD_LSO);
  assert.equal(run(seg, t, supp(f), lso(0)), ENCAP_BAD_LSO);
  assert.equal(seg.counters.refusedLso, 2);
  assert.equal(seg.counters.lsoFrames, 2);
});

test('hostile bytes never throw: random frames and supplemental words', () => {
  const f: EncapFrame = { tunnel: 'gre', outer6: false, inner6: true, seq: 1, flags: ACK, payload: new Uint8Array(2000) };
  const t = lsoTemplate(f);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: t.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: t.length }), (at, v, s, len) => {
      const b = t.slice();
      b[at] = v;
      const seg = new EncapSegmenter(64);
      if (seg.locate(b, 0, len, s, true, VXLAN_PORT, 256) === ENCAP_OK) {
        seg.segment(b, 0, len, lso(536), (n, _i, tg) => {
          tg.bytes = new Uint8Array(n);
          tg.offset = 0;
          return true;
        }, () => {});
      }
    }),
    { numRuns: 300 },
  );
});

test('running out of memory stops after the segments made', () => {
  const f: EncapFrame = { tunnel: 'vxlan', outer6: true, inner6: false, seq: 1, flags: ACK, payload: new Uint8Array(5000) };
  const t = lsoTemplate(f);
  const seg = new EncapSegmenter();
  assert.equal(seg.locate(t, 0, t.length, supp(f), true, VXLAN_PORT, 256), ENCAP_OK);
  let made = 0;
  const n = seg.segment(t, 0, t.length, lso(1000), (len, i, tg) => {
    if (i === 2) return false;
    tg.bytes = new Uint8Array(len);
    tg.offset = 0;
    return true;
  }, () => made++);
  assert.equal(n, 2);
  assert.equal(made, 2);
});
