/**
 * Byte-exact vectors for the pcapng and pcap writers: every block written out by hand with a comment
 * per field. The data-path encoders write into a buffer pre-filled with 0xa5, so a field they forget
 * shows up in the comparison, and the bytes after the block must stay 0xa5.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DIRECTION_INBOUND,
  DIRECTION_OUTBOUND,
  EPB_DATA_OFFSET,
  TimestampHalves,
  enhancedPacketBlock,
  enhancedPacketBlockLength,
  finishEnhancedPacketBlock,
  genericBlock,
  interfaceDescriptionBlock,
  pcapFileHeader,
  pcapRecord,
  sectionHeaderBlock,
  simplePacketBlock,
  timeToUnits,
  writeEnhancedPacketHeader,
} from '../../../src/io/pcapng/index.js';
import { bytes, toHex } from './helpers.js';

const SHB_LE = bytes(
  '0a0d0d0a', //           block type: section header
  '2c000000', //           block total length 44
  '4d3c2b1a', //           byte-order magic 0x1a2b3c4d, little-endian
  '0100 0000', //          major version 1, minor version 0
  'ffffffff ffffffff', //  section length: not specified (-1)
  '0400 0600', //          option shb_userappl (4), length 6
  '74736e646973 0000', //  "tsndis", 2 bytes of padding
  '0000 0000', //          opt_endofopt
  '2c000000', //           block total length 44 (trailer)
);

test('writer: section header block with shb_userappl, little-endian', () => {
  assert.equal(toHex(sectionHeaderBlock({ userApplication: 'tsndis' })), toHex(SHB_LE));
});

test('writer: section header block without options, big-endian', () => {
  const expected = bytes(
    '0a0d0d0a', //           block type (the same bytes in both orders)
    '0000001c', //           block total length 28, big-endian
    '1a2b3c4d', //           byte-order magic, big-endian
    '0001 0000', //          version 1.0
    'ffffffff ffffffff', //  section length -1
    '0000001c', //           trailer
  );
  assert.equal(toHex(sectionHeaderBlock({ bigEndian: true })), toHex(expected));
});

test('writer: interface description block with if_name and if_tsresol (padded options)', () => {
  const expected = bytes(
    '01000000', //   block type: interface description
    '28000000', //   block total length 40
    '0100', //       link type 1 (Ethernet)
    '0000', //       reserved
    'ffff0000', //   snap length 65535
    '0200 0400', //  option if_name (2), length 4
    '65746830', //   "eth0" (no padding needed)
    '0900 0100', //  option if_tsresol (9), length 1
    '09 000000', //  10^-9 s, 3 bytes of padding
    '0000 0000', //  opt_endofopt
    '28000000', //   trailer
  );
  assert.equal(toHex(interfaceDescriptionBlock({ linkType: 1, snapLength: 65535, name: 'eth0', tsresol: 9 })), toHex(expected));
});

test('writer: interface description block with a 5-byte name and a description', () => {
  const expected = bytes(
    '01000000', //          block type
    '2c000000', //          block total length 44
    '0100 0000', //         link type 1, reserved
    '00000000', //          snap length 0 (no limit)
    '0200 0500', //         if_name, length 5
    '6574683031 000000', // "eth01", 3 bytes of padding
    '0300 0200', //         if_description (3), length 2
    '6162 0000', //         "ab", 2 bytes of padding
    '0000 0000', //         opt_endofopt
    '2c000000', //          trailer
  );
  assert.equal(toHex(interfaceDescriptionBlock({ linkType: 1, snapLength: 0, name: 'eth01', description: 'ab' })), toHex(expected));
});

const EPB_OUTBOUND = bytes(
  '06000000', //         block type: enhanced packet
  '34000000', //         block total length 52
  '01000000', //         interface id 1
  '00000000', //         timestamp, high 32 bits
  '02ca9a3b', //         timestamp, low 32 bits: 1 s + 2 ns = 1000000002 ns = 0x3b9aca02
  '05000000', //         captured length 5
  '3c000000', //         original length 60
  '0102030405 000000', // packet data, 3 bytes of padding
  '0200 0400', //        option epb_flags (2), length 4
  '02000000', //         direction: outbound
  '00000000', //         opt_endofopt
  '34000000', //         trailer
);

test('writer: data-path EPB encoder fills every byte and nothing after the block (0xa5 buffer)', () => {
  const buf = new Uint8Array(80).fill(0xa5);
  const ts = new TimestampHalves();
  timeToUnits(1, 2, 9, ts);
  writeEnhancedPacketHeader(buf, 4, 1, ts.high, ts.low, 5, 60);
  buf.set([1, 2, 3, 4, 5], 4 + EPB_DATA_OFFSET);
  const n = finishEnhancedPacketBlock(buf, 4, 5, DIRECTION_OUTBOUND);
  assert.equal(n, 52);
  assert.equal(enhancedPacketBlockLength(5, DIRECTION_OUTBOUND), 52);
  assert.equal(toHex(buf.subarray(4, 4 + n)), toHex(EPB_OUTBOUND));
  assert.ok(buf.subarray(0, 4).every((b) => b === 0xa5), 'bytes before the block untouched');
  assert.ok(buf.subarray(4 + n).every((b) => b === 0xa5), 'bytes after the block untouched');
});

test('writer: the EPB builder and the data-path encoder agree', () => {
  assert.equal(toHex(enhancedPacketBlock({ interfaceId: 1, seconds: 1, nanoseconds: 2, tsresol: 9, data: Uint8Array.of(1, 2, 3, 4, 5), originalLength: 60, direction: 2 })), toHex(EPB_OUTBOUND));
});

test('writer: EPB without a direction has no epb_flags; a 2023 nanosecond timestamp splits exactly', () => {
  const buf = new Uint8Array(48).fill(0xa5);
  const ts = new TimestampHalves();
  timeToUnits(1_700_000_000, 123_456_789, 9, ts);
  writeEnhancedPacketHeader(buf, 0, 0, ts.high, ts.low, 4, 4);
  buf.set([0xde, 0xad, 0xbe, 0xef], EPB_DATA_OFFSET);
  const n = finishEnhancedPacketBlock(buf, 0, 4, 0);
  const expected = bytes(
    '06000000', // block type
    '28000000', // block total length 40
    '00000000', // interface 0
    'fe9c9717', // timestamp high: 1700000000123456789 ns >> 32 = 0x17979cfe
    '15cd853d', // timestamp low: 0x3d85cd15
    '04000000', // captured length 4
    '04000000', // original length 4
    'deadbeef', // data (aligned, no padding)
    '00000000', // opt_endofopt
    '28000000', // trailer
  );
  assert.equal(toHex(buf.subarray(0, n)), toHex(expected));
  assert.ok(buf.subarray(n).every((b) => b === 0xa5));
});

test('writer: EPB in microseconds, big-endian, inbound', () => {
  const expected = bytes(
    '00000006', //   block type, big-endian
    '00000030', //   total length 48
    '00000000', //   interface 0
    '00060a24', //   timestamp high: 1700000000123456 µs = 0x00060a24_18202240
    '18202240', //   timestamp low
    '00000002', //   captured length 2
    '00000002', //   original length 2
    'abcd 0000', //  data + 2 bytes of padding
    '0002 0004', //  epb_flags, length 4
    '00000001', //   inbound
    '00000000', //   opt_endofopt
    '00000030', //   trailer
  );
  const got = enhancedPacketBlock({ interfaceId: 0, seconds: 1_700_000_000, nanoseconds: 123_456_789, tsresol: 6, data: Uint8Array.of(0xab, 0xcd), direction: DIRECTION_INBOUND, bigEndian: true });
  assert.equal(toHex(got), toHex(expected));
});

test('writer: simple packet block and a custom block', () => {
  assert.equal(
    toHex(simplePacketBlock(Uint8Array.of(9, 8, 7), 64)),
    toHex(bytes(
      '03000000', //   block type: simple packet
      '14000000', //   total length 20
      '40000000', //   original length 64
      '090807 00', //  data + 1 byte of padding
      '14000000', //   trailer
    )),
  );
  assert.equal(
    toHex(genericBlock(0x00000bad, Uint8Array.of(1))),
    toHex(bytes('ad0b0000', '10000000', '01 000000', '10000000')), // type, length 16, body padded, trailer
  );
});

test('writer: classic pcap header and records', () => {
  assert.equal(
    toHex(pcapFileHeader({ linkType: 1, snapLength: 65535 })),
    toHex(bytes(
      'd4c3b2a1', // magic 0xa1b2c3d4 (microseconds), little-endian
      '0200 0400', // version 2.4
      '00000000', // thiszone
      '00000000', // sigfigs
      'ffff0000', // snap length 65535
      '01000000', // link type 1
    )),
  );
  assert.equal(
    toHex(pcapFileHeader({ linkType: 1, snapLength: 262144, nanoseconds: true, bigEndian: true })),
    toHex(bytes('a1b23c4d', '0002 0004', '00000000', '00000000', '00040000', '00000001')), // nanosecond magic, big-endian
  );
  assert.equal(
    toHex(pcapRecord({ seconds: 2, nanoseconds: 345_678_901, data: Uint8Array.of(0xaa, 0xbb, 0xcc) })),
    toHex(bytes(
      '02000000', // seconds 2
      '4e460500', // microseconds 345678 = 0x0005464e
      '03000000', // included length 3
      '03000000', // original length 3
      'aabbcc', //   data (classic pcap has no padding)
    )),
  );
  assert.equal(
    toHex(pcapRecord({ seconds: 2, nanoseconds: 345_678_901, data: Uint8Array.of(0xaa), originalLength: 60, nanosecondFile: true, bigEndian: true })),
    toHex(bytes('00000002', '149aa435', '00000001', '0000003c', 'aa')), // ns 345678901 = 0x149aa435, original 60
  );
});
