/**
 * Software UDP segmentation offload against independently built datagrams: IPv4 (with options, IP ID
 * wrapping 0xFFFF → 0x0000) and IPv6 (with a hop-by-hop header); for any payload and MSS the datagrams'
 * payloads concatenate to the original, every UDP length, IP length and checksum is right, IDs step by
 * one; the NBL info bit layout; refusals (malformed, MSS 0 or above the link, above MaxOffLoadSize,
 * fewer than MinSegmentCount, fragments) with their codes; running out of memory.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SegmentTarget } from '../../src/drivers/common/lso-segment.js';
import {
  USO_SEGMENT_BAD_MSS,
  USO_SEGMENT_MALFORMED,
  USO_SEGMENT_TOO_FEW,
  USO_SEGMENT_TOO_LARGE,
  UsoSegmenter,
  type UsoLimits,
} from '../../src/drivers/common/uso-segment.js';
import {
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  readUsoTransmit,
  usoTransmit,
} from '../../src/ndis/nbl-info-bits.js';
import { NetBufferListInfo } from '../../src/ndis/buffers/net-buffer-list-info.js';
import { checksum, ip4, mac } from '../support/frames.js';

const A = mac('02:00:00:00:00:0a');
const B = mac('02:00:00:00:00:0b');
const SRC4 = ip4('198.18.9.1');
const DST4 = ip4('198.18.9.2');
const SRC6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i));
const DST6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : 0x40 + i));
const NO_LIMITS: UsoLimits = { maxMss: 0, maxOffLoadSize: 0, minSegmentCount: 0 };

function sum16(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2 === 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The USO form of an IPv4 datagram as the protocol hands it down: seed = sum(src, dst, protocol) only. */
function uso4(payload: Uint8Array, opts: { id?: number; options?: Uint8Array; seed?: boolean } = {}): Uint8Array {
  const o = opts.options ?? new Uint8Array(0);
  const ihl = 20 + o.length;
  const f = new Uint8Array(14 + ihl + 8 + payload.length);
  f.set(B, 0);
  f.set(A, 6);
  f.set([0x08, 0x00], 12);
  const id = opts.id ?? 0x1234;
  f.set([0x40 | (ihl / 4), 0, 0, 0, id >> 8, id & 0xff, 0x40, 0, 64, 17, 0, 0], 14); // total length and checksum left to the NIC
  f.set(SRC4, 26);
  f.set(DST4, 30);
  f.set(o, 34);
  const u = 14 + ihl;
  f.set([0xc0, 0x01, 0x13, 0x89], u); // 49153 → 5001
  if (opts.seed !== false) {
    const seed = sum16(Uint8Array.of(...SRC4, ...DST4, 0, 17));
    f[u + 6] = seed >> 8;
    f[u + 7] = seed & 0xff;
  }
  f.set(payload, u + 8);
  return f;
}

function uso6(payload: Uint8Array, hopByHop = false): Uint8Array {
  const ext = hopByHop ? 8 : 0;
  const f = new Uint8Array(14 + 40 + ext + 8 + payload.length);
  f.set(B, 0);
  f.set(A, 6);
  f.set([0x86, 0xdd], 12);
  f.set([0x60, 0, 0, 0, 0, 0, hopByHop ? 0 : 17, 64], 14);
  f.set(SRC6, 22);
  f.set(DST6, 38);
  if (hopByHop) f.set([17, 0, 1, 4, 0, 0, 0, 0], 54); // next header UDP, PadN
  const u = 54 + ext;
  f.set([0xc0, 0x01, 0x13, 0x89], u);
  const seed = sum16(Uint8Array.of(...SRC6, ...DST6, 0, 0, 0, 17));
  f[u + 6] = seed >> 8;
  f[u + 7] = seed & 0xff;
  f.set(payload, u + 8);
  return f;
}

function run(seg: UsoSegmenter, frame: Uint8Array, info: number, limits = NO_LIMITS, mtu = 0): Uint8Array[] | number {
  const out: Uint8Array[] = [];
  let cur = new Uint8Array(0);
  const n = seg.segment(frame, 0, frame.length, info, limits, (len, _i, t: SegmentTarget) => {
    cur = new Uint8Array(len + 4).fill(0xa5);
    t.bytes = cur;
    t.offset = 2;
    return true;
  }, (len) => {
    assert.deepEqual([...cur.subarray(0, 2), ...cur.subarray(2 + len)], [0xa5, 0xa5, 0xa5, 0xa5], 'nothing written around the datagram');
    out.push(cur.slice(2, 2 + len));
  }, mtu);
  return n < 0 ? n : out;
}

/** Checks one IPv4 datagram from scratch; returns its UDP payload. */
function check4(d: Uint8Array, id: number): Uint8Array {
  const ihl = (d[14]! & 0xf) * 4;
  const ipLen = (d[16]! << 8) | d[17]!;
  assert.equal(ipLen, d.length - 14, 'IPv4 total length');
  assert.equal((d[18]! << 8) | d[19]!, id, 'IPv4 identification');
  assert.equal(checksum(d, 14, 14 + ihl), 0, 'IPv4 header checksum');
  const u = 14 + ihl;
  const udpLen = (d[u + 4]! << 8) | d[u + 5]!;
  assert.equal(udpLen, d.length - u, 'UDP length');
  const pseudo = Uint8Array.of(...d.subarray(26, 34), 0, 17, udpLen >> 8, udpLen & 0xff);
  assert.equal(checksum(d, u, d.length, sum16(pseudo)), 0, 'UDP checksum');
  assert.notEqual((d[u + 6]! << 8) | d[u + 7]!, 0);
  return d.subarray(u + 8);
}

function check6(d: Uint8Array, ext: number): Uint8Array {
  assert.equal((d[18]! << 8) | d[19]!, d.length - 54, 'IPv6 payload length');
  const u = 54 + ext;
  const udpLen = (d[u + 4]! << 8) | d[u + 5]!;
  assert.equal(udpLen, d.length - u, 'UDP length');
  const pseudo = Uint8Array.of(...d.subarray(22, 54), 0, 0, udpLen >> 8, udpLen & 0xff, 0, 0, 0, 17);
  assert.equal(checksum(d, u, d.length, sum16(pseudo)), 0, 'UDP checksum');
  return d.subarray(u + 8);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

test('NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO: MSS:20, UdpHeaderOffset:10, Reserved:1, IPVersion:1; the slot aliases TcpRecvSegCoalesceInfo', () => {
  assert.equal(usoTransmit({ mss: 1472, udpHeaderOffset: 34, ipVersion: NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 }), 0x022005c0);
  assert.equal(usoTransmit({ mss: 1452, udpHeaderOffset: 54, ipVersion: NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6 }), 0x836005ac);
  assert.deepEqual(readUsoTransmit(0xc36005ac), { mss: 1452, udpHeaderOffset: 54, ipVersion: 1 }, 'the reserved bit 30 is not read');
  const info = new NetBufferListInfo();
  info.udpSegmentationOffloadInfo = 0x022005c0;
  assert.equal(info.tcpRecvSegCoalesceInfo, 0x022005c0);
});

test('IPv4 with options: 3000 bytes at MSS 1000 → three datagrams, IDs 0xFFFE, 0xFFFF, 0x0000, options replicated', () => {
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7 + 1) & 0xff);
  const options = Uint8Array.of(0x94, 0x04, 0, 0); // Router Alert
  const frame = uso4(payload, { id: 0xfffe, options });
  const got = run(new UsoSegmenter(), frame, usoTransmit({ mss: 1000, udpHeaderOffset: 38, ipVersion: NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 })) as Uint8Array[];
  assert.equal(got.length, 3);
  const ids = [0xfffe, 0xffff, 0x0000];
  for (const [i, d] of got.entries()) {
    assert.deepEqual(d.subarray(34, 38), options);
    assert.deepEqual(check4(d, ids[i]!), payload.subarray(i * 1000, (i + 1) * 1000));
  }
});

test('IPv4 with a zero seed: no UDP checksum (the field stays 0); a sub-MSS last datagram', () => {
  const payload = new Uint8Array(2500).fill(0x5a);
  const got = run(new UsoSegmenter(), uso4(payload, { seed: false }), usoTransmit({ mss: 1200, udpHeaderOffset: 34, ipVersion: 0 })) as Uint8Array[];
  assert.deepEqual(got.map((d) => d.length - 42), [1200, 1200, 100]);
  for (const d of got) assert.equal((d[40]! << 8) | d[41]!, 0);
});

test('property: any payload and MSS, IPv4 and IPv6 (with and without extension headers) — payloads concatenate, lengths and checksums valid', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 9000 }), fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 1, 2), (payload, mss, id, kind) => {
      const seg = new UsoSegmenter(100_000);
      if (kind === 0) {
        const got = run(seg, uso4(payload, { id }), usoTransmit({ mss, udpHeaderOffset: 34, ipVersion: 0 })) as Uint8Array[];
        assert.equal(got.length, Math.ceil(payload.length / mss));
        assert.deepEqual(concat(got.map((d, i) => check4(d, (id + i) & 0xffff))), payload);
        for (const d of got.slice(0, -1)) assert.equal(d.length - 42, mss, 'only the last may be shorter');
      } else {
        const ext = kind === 2 ? 8 : 0;
        const got = run(seg, uso6(payload, kind === 2), usoTransmit({ mss, udpHeaderOffset: 54 + ext, ipVersion: 1 })) as Uint8Array[];
        assert.equal(got.length, Math.ceil(payload.length / mss));
        assert.deepEqual(concat(got.map((d) => check6(d, ext))), payload);
      }
    }),
    { numRuns: 150 },
  );
});

test('refusals: malformed headers, MSS 0 / above the link, above MaxOffLoadSize, fewer than MinSegmentCount, a fragment', () => {
  const seg = new UsoSegmenter();
  const payload = new Uint8Array(4000).fill(1);
  const f = uso4(payload);
  const info = (mss: number, off = 34, v = 0) => usoTransmit({ mss, udpHeaderOffset: off, ipVersion: v });
  assert.equal(run(seg, f, info(1000, 30)), USO_SEGMENT_MALFORMED, 'UdpHeaderOffset not at the UDP header');
  assert.equal(run(seg, f, info(1000, 34, 1)), USO_SEGMENT_MALFORMED, 'IPVersion says IPv6');
  const tcp = f.slice();
  tcp[23] = 6;
  assert.equal(run(seg, tcp, info(1000)), USO_SEGMENT_MALFORMED, 'not UDP');
  const frag = f.slice();
  frag[20] = 0x20; // MF
  assert.equal(run(seg, frag, info(1000)), USO_SEGMENT_MALFORMED, 'a fragment');
  assert.equal(run(seg, f.subarray(0, 40), info(1000)), USO_SEGMENT_MALFORMED, 'truncated');
  assert.equal(run(seg, f, info(0)), USO_SEGMENT_BAD_MSS);
  assert.equal(run(seg, f, info(1473), NO_LIMITS, 1500), USO_SEGMENT_BAD_MSS, '20 + 8 + 1473 > MTU 1500');
  assert.ok(Array.isArray(run(seg, f, info(1472), NO_LIMITS, 1500)), '20 + 8 + 1472 fits');
  assert.equal(run(seg, f, info(1000), { maxMss: 900, maxOffLoadSize: 0, minSegmentCount: 0 }), USO_SEGMENT_BAD_MSS);
  assert.equal(run(seg, f, info(1000), { maxMss: 0, maxOffLoadSize: 3999, minSegmentCount: 0 }), USO_SEGMENT_TOO_LARGE);
  assert.equal(run(seg, f, info(1000), { maxMss: 0, maxOffLoadSize: 4000, minSegmentCount: 5 }), USO_SEGMENT_TOO_FEW);
  assert.ok(Array.isArray(run(seg, f, info(1000), { maxMss: 0, maxOffLoadSize: 4000, minSegmentCount: 4 })));
  assert.equal(run(new UsoSegmenter(3), f, info(1000)), USO_SEGMENT_TOO_LARGE, 'more segments than the engine makes');
  // Out of memory after two datagrams: two done, the count says so.
  let given = 0;
  const n = seg.segment(f, 0, f.length, info(1000), NO_LIMITS, (len, _i, t) => {
    if (given++ === 2) return false;
    t.bytes = new Uint8Array(len);
    t.offset = 0;
    return true;
  }, () => {});
  assert.equal(n, 2);
});

test('hostile frames and info values never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 0, max: 0xffffffff }), (junk, info) => {
      const seg = new UsoSegmenter();
      const r = seg.segment(junk, 0, junk.length, info, NO_LIMITS, (len, _i, t) => {
        t.bytes = new Uint8Array(len);
        t.offset = 0;
        return true;
      }, () => {});
      assert.ok(Number.isInteger(r));
    }),
    { numRuns: 300 },
  );
});
