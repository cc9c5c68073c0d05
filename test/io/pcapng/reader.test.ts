/**
 * The capture reader: hand-written pcap/pcapng vectors (every field checked), the skipping rules,
 * every error code, exact timestamps (checked against BigInt), and round-trip properties:
 * read(write(frames)) = frames — timestamps and directions included — whatever the chunking.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  BLOCK_TYPE_INTERFACE_STATISTICS,
  BLOCK_TYPE_NAME_RESOLUTION,
  BLOCK_TYPE_OBSOLETE_PACKET,
  CaptureReader,
  CaptureRecord,
  ReadStatus,
  TimeParts,
  TimestampHalves,
  concatBytes,
  enhancedPacketBlock,
  genericBlock,
  interfaceDescriptionBlock,
  readCapture,
  sectionHeaderBlock,
  simplePacketBlock,
  timeToUnits,
  unitsToTime,
  type Direction,
} from '../../../src/io/pcapng/index.js';
import { bytes, ethFrame, pcapOf, pcapngOf, toHex, type TestFrame } from './helpers.js';

// ------------------------------------------------------------------------------------------------
// Vectors

const PCAP_LE_US = bytes(
  'd4c3b2a1', //  magic, microseconds, little-endian
  '0200 0400', // version 2.4
  '00000000 00000000', // thiszone, sigfigs
  'ffff0000', //  snap length 65535
  '01000000', //  link type 1
  '0a000000', //  record: seconds 10
  '40e20100', //  microseconds 123456 = 0x01e240
  '03000000', //  included length 3
  '40000000', //  original length 64
  '010203', //    data
);

test('reader: classic pcap, little-endian microseconds, every field', () => {
  const r = readCapture(PCAP_LE_US);
  assert.equal(r.error, null);
  assert.equal(r.format, 'pcap');
  assert.equal(r.interfaces.length, 1);
  assert.deepEqual([r.interfaces[0]!.linkType, r.interfaces[0]!.snapLength], [1, 65535]);
  assert.equal(r.frames.length, 1);
  const f = r.frames[0]!;
  assert.deepEqual([f.interfaceId, f.linkType, f.seconds, f.nanoseconds, f.hasTimestamp, f.direction, f.originalLength], [0, 1, 10, 123_456_000, true, 0, 64]);
  assert.equal(toHex(f.data), '010203');
});

test('reader: classic pcap, big-endian nanoseconds', () => {
  const b = bytes(
    'a1b23c4d', //  magic, nanoseconds, big-endian
    '0002 0004', // version 2.4
    '00000000 00000000',
    '00040000', //  snap length 262144
    '00000001', //  link type 1
    '00000005', //  seconds 5
    '3b9ac9ff', //  nanoseconds 999999999
    '00000002', //  included 2
    '00000002', //  original 2
    'beef',
  );
  const r = readCapture(b);
  assert.equal(r.error, null);
  assert.deepEqual(r.frames.map((f) => [f.seconds, f.nanoseconds, toHex(f.data)]), [[5, 999_999_999, 'beef']]);
});

test('reader: pcapng little-endian section, interface options, EPB with direction, SPB', () => {
  const b = bytes(
    // SHB, no options
    '0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffff ffffffff 1c000000',
    // IDB: Ethernet, snap 4, if_name "a", if_tsresol 3 (ms), if_tsoffset 100 s
    '01000000 34000000', //             type, length 52
    '0100 0000 04000000', //            link type 1, reserved, snap length 4
    '0200 0100 61 000000', //           if_name "a"
    '0900 0100 03 000000', //           if_tsresol 10^-3
    '0e00 0800 6400000000000000', //    if_tsoffset 100
    '0000 0000', //                      opt_endofopt
    '34000000',
    // EPB: interface 0, timestamp 1500 ms, 3 bytes, outbound
    '06000000 30000000', //             type, length 48
    '00000000', //                      interface 0
    '00000000 dc050000', //             timestamp 1500 units of 1 ms
    '03000000 05000000', //             captured 3, original 5
    'aabbcc 00', //                     data + padding
    '0200 0400 02000000', //            epb_flags: outbound
    '0000 0000',
    '30000000',
    // SPB: original length 6, 8 bytes of room: captured = min(6, 8, snap 4) = 4
    '03000000 18000000 06000000 0102030405060000 18000000',
  );
  const reader = new CaptureReader();
  reader.push(b);
  reader.end();
  const rec = new CaptureRecord();
  assert.equal(reader.next(rec), ReadStatus.Record);
  assert.equal(reader.format, 'pcapng');
  const i = reader.interfaces[0]!;
  assert.deepEqual([i.linkType, i.snapLength, i.name, i.tsresol, i.tsoffsetSeconds], [1, 4, 'a', 3, 100]);
  assert.deepEqual(
    [rec.interfaceId, rec.seconds, rec.nanoseconds, rec.capturedLength, rec.originalLength, rec.direction, rec.flags, rec.fileOffset],
    [0, 101, 500_000_000, 3, 5, 2, 2, 28 + 52],
  );
  assert.equal(toHex(rec.bytes.subarray(rec.offset, rec.offset + rec.capturedLength)), 'aabbcc');
  assert.equal(reader.next(rec), ReadStatus.Record);
  assert.deepEqual([rec.hasTimestamp, rec.capturedLength, rec.originalLength], [false, 4, 6]);
  assert.equal(toHex(rec.bytes.subarray(rec.offset, rec.offset + 4)), '01020304');
  assert.equal(reader.next(rec), ReadStatus.End);
  assert.deepEqual([reader.counters.blocks, reader.counters.records, reader.counters.sections, reader.counters.interfaces], [4, 2, 1, 1]);
});

test('reader: a big-endian section after a little-endian one resets interfaces and byte order', () => {
  const le = pcapngOf([{ interfaceId: 1, seconds: 1, nanoseconds: 2, direction: 1, data: ethFrame(1) }], { interfaces: 2 });
  const be = pcapngOf([{ interfaceId: 0, seconds: 3, nanoseconds: 4, direction: 2, data: ethFrame(2) }], { bigEndian: true });
  const r = readCapture(concatBytes([le, be]));
  assert.equal(r.error, null);
  assert.deepEqual(r.frames.map((f) => [f.interfaceId, f.seconds, f.nanoseconds, f.direction]), [[1, 1, 2, 1], [0, 3, 4, 2]]);
  assert.equal(r.interfaces.length, 1, 'the second section has one interface');
  assert.equal(r.counters.sections, 2);
});

test('reader: obsolete packet, statistics, name resolution and unknown blocks are skipped and counted', () => {
  const b = concatBytes([
    sectionHeaderBlock(),
    interfaceDescriptionBlock({ linkType: 1, snapLength: 0 }),
    genericBlock(BLOCK_TYPE_OBSOLETE_PACKET, new Uint8Array(28)),
    genericBlock(BLOCK_TYPE_NAME_RESOLUTION, new Uint8Array(4)),
    enhancedPacketBlock({ interfaceId: 0, seconds: 1, nanoseconds: 0, data: ethFrame(7) }),
    genericBlock(BLOCK_TYPE_INTERFACE_STATISTICS, new Uint8Array(20)),
    genericBlock(0x40000bad, new Uint8Array(3)),
  ]);
  const r = readCapture(b);
  assert.equal(r.error, null);
  assert.equal(r.frames.length, 1);
  assert.deepEqual([r.counters.skippedBlocks, r.counters.obsoletePacketBlocks], [4, 1]);
});

test('reader: a 1 MiB unknown block is skipped as it streams past, without buffering it', () => {
  const big = genericBlock(0x00000bad, new Uint8Array(1 << 20));
  const b = concatBytes([pcapngOf([]), big, enhancedPacketBlock({ interfaceId: 0, seconds: 9, nanoseconds: 0, tsresol: 9, data: ethFrame(9) })]);
  const reader = new CaptureReader();
  const rec = new CaptureRecord();
  let maxBuffered = 0;
  const frames: number[] = [];
  for (let fed = 0; ; ) {
    const st = reader.next(rec);
    if (st === ReadStatus.Record) frames.push(rec.seconds);
    else if (st === ReadStatus.NeedMore) {
      if (fed === b.length) reader.end();
      else {
        const n = Math.min(4096, b.length - fed);
        reader.push(b, fed, n);
        fed += n;
        maxBuffered = Math.max(maxBuffered, reader.buffered);
      }
    } else {
      assert.equal(st, ReadStatus.End);
      break;
    }
  }
  assert.deepEqual(frames, [9]);
  assert.ok(maxBuffered <= 64 * 1024 + 4096, `buffered up to ${maxBuffered} bytes`);
  assert.equal(reader.counters.skippedBlocks, 1);
});

test('reader: recoverable problems skip the block and count it', () => {
  const epbUnknownIf = enhancedPacketBlock({ interfaceId: 5, seconds: 1, nanoseconds: 0, data: ethFrame(1) });
  const overrun = enhancedPacketBlock({ interfaceId: 0, seconds: 1, nanoseconds: 0, data: ethFrame(2) });
  new DataView(overrun.buffer).setUint32(20, 1000, true); // captured length beyond the block
  const badOption = enhancedPacketBlock({ interfaceId: 0, seconds: 3, nanoseconds: 0, data: ethFrame(3), direction: 1 });
  new DataView(badOption.buffer).setUint16(28 + 60 + 2, 200, true); // epb_flags length past the block
  const spbNoIf = simplePacketBlock(ethFrame(4));
  const r = readCapture(concatBytes([sectionHeaderBlock(), spbNoIf, interfaceDescriptionBlock({ linkType: 1, snapLength: 0 }), epbUnknownIf, overrun, badOption]));
  assert.equal(r.error, null);
  assert.deepEqual(r.frames.map((f) => [f.seconds, f.direction]), [[3, 0]]);
  assert.deepEqual([r.counters.unknownInterface, r.counters.malformedBlocks, r.counters.malformedOptions], [2, 1, 1]);
});

function errorOf(b: Uint8Array, options = {}): string | null {
  return readCapture(b, options).error?.code ?? null;
}

test('reader: every framing problem is a typed error, never an exception', () => {
  // SHB (28 bytes, no options) at 0, IDB at 28, EPB after it.
  const good = concatBytes([sectionHeaderBlock(), interfaceDescriptionBlock({ linkType: 1, snapLength: 0 }), enhancedPacketBlock({ interfaceId: 0, seconds: 1, nanoseconds: 0, data: ethFrame(1) })]);
  assert.equal(errorOf(new Uint8Array(0)), 'not-a-capture');
  assert.equal(errorOf(bytes('00010203 04050607')), 'not-a-capture');
  assert.equal(errorOf(good.subarray(0, 10)), 'truncated');
  assert.equal(errorOf(good.subarray(0, good.length - 1)), 'truncated');
  const odd = good.slice();
  new DataView(odd.buffer).setUint32(28 + 4, 30, true); // IDB length not a multiple of 4
  assert.equal(errorOf(odd), 'bad-block-length');
  const small = good.slice();
  new DataView(small.buffer).setUint32(28 + 4, 8, true); // below the 12-byte minimum
  assert.equal(errorOf(small), 'bad-block-length');
  const mismatch = good.slice();
  new DataView(mismatch.buffer).setUint32(good.length - 4, 0x100, true);
  assert.equal(errorOf(mismatch), 'length-mismatch');
  const badBom = good.slice();
  badBom[8] = 0;
  assert.equal(errorOf(badBom), 'bad-block-length');
  const v2 = good.slice();
  new DataView(v2.buffer).setUint16(12, 2, true);
  assert.equal(errorOf(v2), 'unsupported-version');
  assert.equal(errorOf(good, { maxBlockBytes: 64 }), 'block-too-large');
  assert.equal(errorOf(good, { maxInterfaces: 0 }), 'too-many-interfaces');
  const shortIdb = concatBytes([sectionHeaderBlock(), genericBlock(1, new Uint8Array(4))]);
  assert.equal(errorOf(shortIdb), 'malformed-block');
  const pcap = pcapOf([{ interfaceId: 0, seconds: 1, nanoseconds: 0, direction: 0, data: ethFrame(1, 100) }]);
  assert.equal(errorOf(pcap, { maxPacketBytes: 99 }), 'packet-too-large');
  assert.equal(errorOf(pcap.subarray(0, 30)), 'truncated');
  assert.equal(errorOf(pcap.subarray(0, 50)), 'truncated');
  assert.equal(errorOf(pcap.subarray(0, 20)), 'truncated');
  const pcapV3 = pcap.slice();
  pcapV3[4] = 3;
  assert.equal(errorOf(pcapV3), 'unsupported-version');
  const r = readCapture(mismatch);
  assert.equal(r.frames.length, 0);
  assert.match(r.error!.toString(), /^length-mismatch at offset \d+: /);
});

test('reader: an error is final, and reset starts over', () => {
  const reader = new CaptureReader();
  const rec = new CaptureRecord();
  reader.push(bytes('deadbeef'));
  assert.equal(reader.next(rec), ReadStatus.Error);
  assert.equal(reader.next(rec), ReadStatus.Error);
  reader.reset();
  reader.push(PCAP_LE_US);
  reader.end();
  assert.equal(reader.next(rec), ReadStatus.Record);
  assert.equal(reader.next(rec), ReadStatus.End);
  assert.throws(() => reader.push(PCAP_LE_US), RangeError, 'pushing after end() is a bug of the caller');
});

// ------------------------------------------------------------------------------------------------
// Timestamps

const TWO_64 = 1n << 64n;

function referenceTime(value: bigint, tsresol: number): [number, number] {
  if ((tsresol & 0x80) !== 0) {
    const n = BigInt(tsresol & 0x7f);
    const sec = value >> n;
    const frac = value & ((1n << n) - 1n);
    return [Number(sec), Number((frac * 1_000_000_000n) >> n)];
  }
  const per = 10n ** BigInt(tsresol);
  const sec = value / per;
  const frac = value % per;
  const ns = tsresol <= 9 ? frac * 10n ** BigInt(9 - tsresol) : frac / 10n ** BigInt(tsresol - 9);
  return [Number(sec), Number(ns)];
}

test('timestamps: unitsToTime matches BigInt for every decimal resolution 0…18 (exact) and binary ones (±1 ns)', () => {
  const out = new TimeParts();
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: TWO_64 - 1n }), fc.oneof(fc.integer({ min: 0, max: 18 }), fc.integer({ min: 0x80, max: 0x80 + 63 })), (v, tsresol) => {
      unitsToTime(Number(v >> 32n), Number(v & 0xffffffffn), tsresol, 0, out);
      const [sec, ns] = referenceTime(v, tsresol);
      if (sec > Number.MAX_SAFE_INTEGER) return; // seconds beyond 2^53 cannot be exact in a double
      assert.equal(out.seconds, sec);
      if ((tsresol & 0x80) === 0) assert.equal(out.nanoseconds, ns);
      else assert.ok(Math.abs(out.nanoseconds - ns) <= 1, `${out.nanoseconds} vs ${ns}`);
    }),
    { numRuns: 2000 },
  );
});

test('timestamps: timeToUnits is exact (BigInt) and unitsToTime inverts it up to the resolution', () => {
  const halves = new TimestampHalves();
  const back = new TimeParts();
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 9 }), (s, ns, tsresol) => {
      timeToUnits(s, ns, tsresol, halves);
      const unit = 10n ** BigInt(9 - tsresol);
      const expected = (BigInt(s) * 1_000_000_000n + BigInt(ns)) / unit;
      assert.equal((BigInt(halves.high) << 32n) | BigInt(halves.low), expected);
      unitsToTime(halves.high, halves.low, tsresol, 0, back);
      assert.equal(back.seconds, s);
      assert.equal(back.nanoseconds, ns - (ns % Number(unit)));
    }),
    { numRuns: 2000 },
  );
});

// ------------------------------------------------------------------------------------------------
// Round trips

const direction = fc.constantFrom<Direction>(0, 1, 2);
const frameArb = (interfaces: number) =>
  fc.record({
    interfaceId: fc.integer({ min: 0, max: interfaces - 1 }),
    seconds: fc.integer({ min: 0, max: 0xffffffff }),
    nanoseconds: fc.integer({ min: 0, max: 999_999_999 }),
    direction,
    data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
  });

function comparable(frames: readonly { interfaceId: number; seconds: number; nanoseconds: number; direction: number; data: Uint8Array }[]): unknown[] {
  return frames.map((f) => [f.interfaceId, f.seconds, f.nanoseconds, f.direction, toHex(f.data)]);
}

test('round trip: read(write(frames)) = frames for pcapng in both byte orders, any chunking', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(frameArb(n), { maxLength: 20 }))), fc.boolean(), fc.integer({ min: 1, max: 200 }), ([interfaces, frames], bigEndian, chunkSize) => {
      const file = pcapngOf(frames, { interfaces, bigEndian });
      const whole = readCapture(file);
      assert.equal(whole.error, null);
      assert.deepEqual(comparable(whole.frames), comparable(frames));
      assert.ok(whole.frames.every((f) => f.hasTimestamp && f.originalLength === f.data.length));
      const chunked = readCapture(file, { chunkSize });
      assert.deepEqual(comparable(chunked.frames), comparable(frames));
    }),
    { numRuns: 300 },
  );
});

test('round trip: classic pcap (µs and ns, both byte orders) keeps bytes and timestamps at its resolution', () => {
  fc.assert(
    fc.property(fc.array(frameArb(1), { maxLength: 20 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 100 }), (frames, nanoseconds, bigEndian, chunkSize) => {
      const r = readCapture(pcapOf(frames, { nanoseconds, bigEndian }), { chunkSize });
      assert.equal(r.error, null);
      const expected: TestFrame[] = frames.map((f) => ({ ...f, direction: 0, nanoseconds: nanoseconds ? f.nanoseconds : f.nanoseconds - (f.nanoseconds % 1000) }));
      assert.deepEqual(comparable(r.frames), comparable(expected));
    }),
    { numRuns: 200 },
  );
});

test('round trip: microsecond pcapng interfaces truncate to the microsecond', () => {
  const frames: TestFrame[] = [{ interfaceId: 0, seconds: 1_700_000_000, nanoseconds: 123_456_789, direction: 2, data: ethFrame(1) }];
  const r = readCapture(pcapngOf(frames, { tsresol: 6 }));
  assert.deepEqual([r.frames[0]!.seconds, r.frames[0]!.nanoseconds, r.frames[0]!.direction], [1_700_000_000, 123_456_000, 2]);
});
