/**
 * The header-data split engine (offload digest §5.2–5.3): the split point and NblFlags per rule with
 * byte-exact header/data MDL lengths, the frames never split, and a property that the MDLs of any
 * frame (split or not, well-formed or garbage) concatenate to the frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HD_SPLIT_MINIPORT_CAPS, HdSplitDecision, HdSplitMiss, HdSplitter, decideHdSplit } from '../../src/drivers/common/hd-split.js';
import {
  NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS,
  NDIS_NBL_FLAGS_HD_SPLIT as HDS,
  NDIS_NBL_FLAGS_IS_IPV4 as V4,
  NDIS_NBL_FLAGS_IS_IPV6 as V6,
  NDIS_NBL_FLAGS_IS_TCP as TCP,
  NDIS_NBL_FLAGS_IS_UDP as UDP,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER as AT_HDR,
  NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD as AT_PAY,
  NetBufferListPool,
  BufferAllocator,
  type NetBufferList,
} from '../../src/ndis/index.js';

const MAC = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];

function eth(type: number, rest: number[]): number[] {
  return [...MAC, type >> 8, type & 0xff, ...rest];
}
function ipv4(proto: number, l4: number[], options: number[] = [], frag = 0): number[] {
  const ihl = 5 + options.length / 4;
  const total = ihl * 4 + l4.length;
  return [0x40 | ihl, 0, total >> 8, total & 0xff, 0, 1, frag >> 8, frag & 0xff, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...options, ...l4];
}
function ipv6(next: number, l4: number[], ext: number[] = []): number[] {
  const len = ext.length + l4.length;
  return [0x60, 0, 0, 0, len >> 8, len & 0xff, next, 64, ...new Array<number>(32).fill(0).map((_, i) => i), ...ext, ...l4];
}
function tcp(options: number[], payload: number): number[] {
  const doff = 5 + options.length / 4;
  return [0x12, 0x34, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, doff << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0, ...options, ...new Array<number>(payload).fill(0x61)];
}
function udp(payload: number): number[] {
  const len = 8 + payload;
  return [0x12, 0x34, 0x00, 0x35, len >> 8, len & 0xff, 0, 0, ...new Array<number>(payload).fill(0x62)];
}
const TS = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
const MSS_SACK = [2, 4, 5, 0xb4, 4, 2, 1, 1];

function decide(frame: number[], caps = HD_SPLIT_MINIPORT_CAPS, max = 256): { miss: number; at: number; flags: number } {
  const d = new HdSplitDecision();
  const b = Uint8Array.from([0xee, 0xee, ...frame]);
  const miss = decideHdSplit(b, 2, frame.length, caps, max, d);
  return { miss, at: d.splitAt, flags: d.flags };
}

test('TCP without options: split at the payload (14 + 20 + 20)', () => {
  assert.deepEqual(decide(eth(0x0800, ipv4(6, tcp([], 100)))), { miss: 0, at: 54, flags: HDS | AT_PAY | V4 | TCP });
});

test('TCP with timestamps only: split at the payload (14 + 20 + 32)', () => {
  assert.deepEqual(decide(eth(0x0800, ipv4(6, tcp(TS, 100)))), { miss: 0, at: 66, flags: HDS | AT_PAY | V4 | TCP });
});

test('TCP with other options: at the TCP header, or at the payload under SUPPORTS_TCP_OPTIONS', () => {
  const f = eth(0x0800, ipv4(6, tcp(MSS_SACK, 10)));
  assert.deepEqual(decide(f), { miss: 0, at: 34, flags: HDS | AT_HDR | V4 | TCP });
  assert.deepEqual(decide(f, HD_SPLIT_MINIPORT_CAPS | NDIS_HD_SPLIT_CAPS_SUPPORTS_TCP_OPTIONS), { miss: 0, at: 62, flags: HDS | AT_PAY | V4 | TCP });
});

test('UDP: split at the payload', () => {
  assert.deepEqual(decide(eth(0x0800, ipv4(17, udp(30)))), { miss: 0, at: 42, flags: HDS | AT_PAY | V4 | UDP });
});

test('IPv4 with options: split when allowed and well formed', () => {
  const opts = [0x94, 4, 0, 0]; // router alert
  assert.deepEqual(decide(eth(0x0800, ipv4(6, tcp([], 5), opts))), { miss: 0, at: 58, flags: HDS | AT_PAY | V4 | TCP });
  assert.equal(decide(eth(0x0800, ipv4(6, tcp([], 5), opts)), 1).miss, HdSplitMiss.Unrecognised);
  assert.equal(decide(eth(0x0800, ipv4(6, tcp([], 5), [0x94, 9, 0, 0]))).miss, HdSplitMiss.Malformed);
});

test('IPv6 without and with extension headers', () => {
  assert.deepEqual(decide(eth(0x86dd, ipv6(6, tcp(TS, 100)))), { miss: 0, at: 86, flags: HDS | AT_PAY | V6 | TCP });
  const hbh = [17, 0, 1, 4, 0, 0, 0, 0]; // hop-by-hop → UDP, PadN
  assert.deepEqual(decide(eth(0x86dd, ipv6(0, udp(9), hbh))), { miss: 0, at: 70, flags: HDS | AT_PAY | V6 | UDP });
  assert.equal(decide(eth(0x86dd, ipv6(0, udp(9), hbh)), 1).miss, HdSplitMiss.Unrecognised);
  const frag = [17, 0, 0, 1, 0, 0, 0, 7];
  assert.equal(decide(eth(0x86dd, ipv6(44, udp(9), frag))).miss, HdSplitMiss.Unrecognised);
});

test('never split: ARP, VLAN-tagged, ICMP, IPv4 fragments, tiny frames, empty payloads', () => {
  assert.equal(decide(eth(0x0806, new Array<number>(28).fill(1))).miss, HdSplitMiss.NotIp);
  assert.equal(decide(eth(0x8100, [0, 5, 0x08, 0x00, ...ipv4(6, tcp([], 10))])).miss, HdSplitMiss.NotIp);
  assert.equal(decide(eth(0x0800, ipv4(1, [8, 0, 0, 0, 0, 0, 0, 0]))).miss, HdSplitMiss.Unrecognised);
  assert.equal(decide(eth(0x0800, ipv4(17, udp(30), [], 0x2000))).miss, HdSplitMiss.Unrecognised);
  assert.equal(decide(MAC).miss, HdSplitMiss.Malformed);
  assert.equal(decide([1, 2, 3]).miss, HdSplitMiss.Malformed);
  assert.equal(decide(eth(0x0800, ipv4(6, tcp([], 0)))).miss, HdSplitMiss.NoData);
});

test('truncated headers and lengths past the frame are not split', () => {
  const f = eth(0x0800, ipv4(6, tcp(TS, 10)));
  for (let n = 0; n < 66; n++) assert.notEqual(decide(f.slice(0, n)).miss, 0, `cut at ${n}`);
  const lying = f.slice();
  lying[14 + 3] = 200; // total length beyond the frame
  assert.equal(decide(lying).miss, HdSplitMiss.Malformed);
  const doff = f.slice();
  doff[14 + 20 + 12] = 0xf0; // data offset 60 > what the IP packet holds
  assert.equal(decide(doff).miss, HdSplitMiss.Malformed);
});

test('MaxHeaderSize: the ULP-header split when the payload split would not fit, else none', () => {
  const f = eth(0x0800, ipv4(6, tcp(TS, 10)));
  assert.deepEqual(decide(f, HD_SPLIT_MINIPORT_CAPS, 40), { miss: 0, at: 34, flags: HDS | AT_HDR | V4 | TCP });
  assert.equal(decide(f, HD_SPLIT_MINIPORT_CAPS, 30).miss, HdSplitMiss.TooLong);
});

function receiveNbl(frame: Uint8Array, front: number): { pool: NetBufferListPool; nbl: NetBufferList } {
  const pool = new NetBufferListPool({ name: 'rx', capacity: 2, dataSize: 2048 }, new BufferAllocator());
  const nbl = pool.allocate()!;
  const nb = nbl.firstNetBuffer!;
  const m = nb.poolMdl!;
  m.bytes.set(frame, m.byteOffset + front);
  nb.dataOffset = front;
  nb.currentMdlOffset = front;
  nb.dataLength = frame.length;
  return { pool, nbl };
}

/** The NB's data as its MDLs hold it: the byte count each MDL contributes, and the bytes in order. */
function mdlBytes(nbl: NetBufferList): { lengths: number[]; bytes: number[] } {
  const lengths: number[] = [];
  const bytes: number[] = [];
  const nb = nbl.firstNetBuffer!;
  let left = nb.dataLength;
  let skip = nb.currentMdlOffset;
  for (let m = nb.currentMdl; m !== null && left > 0; m = m.next) {
    const n = Math.min(m.byteCount - skip, left);
    lengths.push(n);
    bytes.push(...m.bytes.subarray(m.byteOffset + skip, m.byteOffset + skip + n));
    left -= n;
    skip = 0;
  }
  return { lengths, bytes };
}

test('HdSplitter: header MDL from the header block, data MDL in the receive buffer with the header as backfill; pool free restores', () => {
  const frame = Uint8Array.from(eth(0x0800, ipv4(6, tcp(TS, 300))));
  const { pool, nbl } = receiveNbl(frame, 12);
  const s = new HdSplitter(4, 128, 0);
  const m = nbl.firstNetBuffer!.poolMdl!;
  assert.ok(s.split(nbl, m.bytes, m.byteOffset, m.byteOffset + 12, frame.length));
  const got = mdlBytes(nbl);
  assert.deepEqual(got.lengths, [66, frame.length - 66]);
  assert.deepEqual(Uint8Array.from(got.bytes), frame);
  const nb = nbl.firstNetBuffer!;
  assert.notEqual(nb.mdlChain!.bytes, m.bytes, 'the header lives in the header block');
  const data = nb.mdlChain!.next!;
  assert.equal(data.bytes, m.bytes);
  assert.equal(data.byteOffset - m.byteOffset, 12 + 66, 'backfill = the virtio-net room + the header');
  assert.equal(nbl.nblFlags, HDS | AT_PAY | V4 | TCP);
  assert.equal(nb.dataLength, frame.length);
  assert.equal(s.counters.splitFrames, 1);
  pool.free(nbl);
  assert.equal(nbl.nblFlags, 0);
  assert.equal(nb.mdlChain, m);
  assert.equal(nb.mdlChain.next, null);
});

test('HdSplitter: an ARP frame stays one MDL with every split flag clear (lookahead holds: the whole frame is contiguous)', () => {
  const frame = Uint8Array.from(eth(0x0806, new Array<number>(46).fill(7)));
  const { nbl } = receiveNbl(frame, 0);
  const s = new HdSplitter(4, 128, 0);
  const m = nbl.firstNetBuffer!.poolMdl!;
  assert.equal(s.split(nbl, m.bytes, m.byteOffset, m.byteOffset, frame.length), false);
  assert.deepEqual(mdlBytes(nbl).lengths, [frame.length]);
  assert.equal(nbl.nblFlags & (HDS | AT_HDR | AT_PAY), 0);
  assert.equal(s.counters.notSplitNonIp, 1);
});

test('property: the MDLs always concatenate to the frame, split flags are consistent, headers fit', () => {
  const frameArb = fc.oneof(
    fc.tuple(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 200 })).map(([k, n]) =>
      k === 0 ? eth(0x0800, ipv4(6, tcp(TS, n))) : k === 1 ? eth(0x86dd, ipv6(17, udp(n))) : eth(0x0800, ipv4(6, tcp(MSS_SACK, n))),
    ),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 300 }),
  );
  fc.assert(
    fc.property(frameArb, fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: 20, max: 256 }), (base, edits, max) => {
      const f = base.slice();
      for (const [i, v] of edits) if (f.length > 0) f[i % f.length] = v;
      const frame = Uint8Array.from(f);
      const { nbl } = receiveNbl(frame, 12);
      const s = new HdSplitter(1, max, 0);
      const m = nbl.firstNetBuffer!.poolMdl!;
      const split = s.split(nbl, m.bytes, m.byteOffset, m.byteOffset + 12, frame.length);
      const got = mdlBytes(nbl);
      assert.deepEqual(Uint8Array.from(got.bytes), frame);
      if (split) {
        assert.equal(got.lengths.length, 2);
        assert.ok(got.lengths[0]! <= max && got.lengths[0]! > 0 && got.lengths[1]! > 0);
        const fl = nbl.nblFlags;
        assert.ok((fl & HDS) !== 0 && ((fl & AT_HDR) !== 0) !== ((fl & AT_PAY) !== 0));
        assert.ok(((fl & V4) !== 0) !== ((fl & V6) !== 0));
        if ((fl & AT_PAY) !== 0) assert.ok(((fl & TCP) !== 0) !== ((fl & UDP) !== 0));
      } else {
        assert.equal(got.lengths.length, frame.length === 0 ? 0 : 1);
        assert.equal(nbl.nblFlags & (HDS | AT_HDR | AT_PAY), 0);
      }
    }),
    { numRuns: 400 },
  );
});

test('HdSplitter: less than BackfillSize before the data → not split (counted), never a split without backfill', () => {
  const frame = Uint8Array.from(eth(0x0800, ipv4(17, udp(100))));
  const { nbl } = receiveNbl(frame, 150);
  const m = nbl.firstNetBuffer!.poolMdl!;
  const s = new HdSplitter(4, 128, 128);
  // The buffer starts 100 bytes before the frame: 100 + the 42-byte header = 142 ≥ 128 bytes of backfill.
  assert.ok(s.split(nbl, m.bytes, m.byteOffset + 50, m.byteOffset + 150, frame.length));
  const { nbl: other } = receiveNbl(frame, 150);
  const m2 = other.firstNetBuffer!.poolMdl!;
  // Only 40 + 42 = 82 bytes before the data.
  assert.equal(s.split(other, m2.bytes, m2.byteOffset + 110, m2.byteOffset + 150, frame.length), false);
  assert.equal(s.counters.notSplitNoBackfill, 1);
  assert.deepEqual(mdlBytes(other).lengths, [frame.length]);
});
