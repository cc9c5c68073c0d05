/**
 * TCP against segments Linux sent through a TAP (test/fuzz/corpus/wire/linux-tcp-*.bin): a SYN with
 * MSS, SACK-permitted, timestamps and window scale, the SYN-ACK of a listening socket, a RST-ACK, and
 * a hand-written ACK with SACK blocks; then the option reader on malformed option areas.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  IpProtocol,
  NO_TCP_OPTIONS,
  TCP_HEADER_LEN,
  TcpFlags,
  TcpOptionKind,
  TcpOptionReader,
  TcpView,
  WireError,
  emitTcp,
  ipv4,
  ipv4PseudoHeaderSum,
  parseTcp,
  parseTcpOptions,
  tcpHeaderLength,
  verifyTcpChecksum,
  type PseudoHeader,
  type TcpRepr,
} from '../../src/wire/index.js';
import { assertBytes, concat, corpusFrame, hex, junk } from './helpers.js';

const ETH_IP = 14 + 20;
const K = ipv4(198, 18, 7, 1);
const ME = ipv4(198, 18, 7, 2);
const FROM_LINUX: PseudoHeader = { version: 4, src: K, dst: ME };

/** `connect(198.18.7.2:80)` from Linux 6.18: a SYN with its default options. */
const SYN = hex(
  'b948', //      source port 47432
  '0050', //      destination port 80
  'd5cb d3fc', // sequence number 3586905084
  '0000 0000', // acknowledgment number (not valid: no ACK)
  'a0', //        data offset 10 (40 bytes), reserved 0, AE 0
  '02', //        flags: SYN
  'faf0', //      window 64240
  '3905', //      checksum over the IPv4 pseudo-header 198.18.7.1 > 198.18.7.2
  '0000', //      urgent pointer
  '0204 05b4', // MSS 1460
  '0402', //      SACK permitted
  '080a c793 4eea 0000 0000', // timestamps: value 3348319978, echo 0
  '01', //        NOP
  '0303 0a', //   window scale 10
);

const SYN_REPR: TcpRepr = {
  srcPort: 47432,
  dstPort: 80,
  seqNumber: 3586905084,
  ackNumber: 0,
  flags: TcpFlags.Syn,
  windowSize: 64240,
  urgentPointer: 0,
  options: { mss: 1460, windowScale: 10, sackPermitted: true, sackBlocks: [], timestamps: { value: 3348319978, echo: 0 } },
  payloadLength: 0,
};

/** A listening socket's answer to our SYN (seq 5000, TS value 1). */
const SYN_ACK = hex(
  '1f90 9c44', // 8080 > 40004
  '6d9f 6c18', // sequence number
  '0000 1389', // acknowledgment number 5001
  'a0 12', //     data offset 10, flags SYN ACK
  'fe88', //      window 65160
  'fc03', //      checksum
  '0000', //      urgent pointer
  '0204 05b4 0402 080a 244d e5d4 0000 0001 01 0303 0a', // MSS 1460, SACK-permitted, TS (echo 1), NOP, WS 10
);

/** A closed port's answer to our SYN (seq 1000): RST-ACK, no options. */
const RST_ACK = hex(
  '0009 9c43', // 9 > 40003
  '0000 0000', // sequence number 0
  '0000 03e9', // acknowledgment number 1001
  '50 14', //     data offset 5, flags RST ACK
  '0000', //      window 0
  '7573', //      checksum
  '0000', //      urgent pointer
);

/** Hand-written: an ACK with timestamps and two SACK blocks, 4 payload bytes, 192.0.2.1 > 192.0.2.2. */
const SACK_ACK = hex(
  'c000 0050', // 49152 > 80
  '0000 0064', // sequence number 100
  '0000 00c8', // acknowledgment number 200
  'd0 18', //     data offset 13 (52 bytes), flags PSH ACK
  '01f5', //      window 501
  'f338', //      checksum (checked with an independent Python implementation)
  '0000', //      urgent pointer
  '0101 080a 0000 0001 0000 0002', // NOP NOP, timestamps value 1 echo 2
  '0101 0512', // NOP NOP, SACK with 2 blocks (length 18)
  '0000 012c 0000 0190', // block 300–400
  '0000 01f4 0000 0258', // block 500–600
  '7069 6e67', // payload "ping"
);
const SACK_PSEUDO: PseudoHeader = { version: 4, src: ipv4(192, 0, 2, 1), dst: ipv4(192, 0, 2, 2) };
const SACK_REPR: TcpRepr = {
  srcPort: 49152,
  dstPort: 80,
  seqNumber: 100,
  ackNumber: 200,
  flags: TcpFlags.Psh | TcpFlags.Ack,
  windowSize: 501,
  urgentPointer: 0,
  options: {
    mss: null,
    windowScale: null,
    sackPermitted: false,
    sackBlocks: [
      { left: 300, right: 400 },
      { left: 500, right: 600 },
    ],
    timestamps: { value: 1, echo: 2 },
  },
  payloadLength: 4,
};

test('tcp: the captured segments are the vectors written out above', () => {
  assertBytes(corpusFrame('linux-tcp-syn').subarray(ETH_IP), SYN);
  assertBytes(corpusFrame('linux-tcp-syn-ack').subarray(ETH_IP), SYN_ACK);
  assertBytes(corpusFrame('linux-tcp-rst-ack').subarray(ETH_IP), RST_ACK);
});

test('tcp: view reads every field of the SYN, and its checksum over the IPv4 pseudo-header', () => {
  assert.equal(TcpView.check(SYN, 0, SYN.length), 0);
  const v = new TcpView().bind(SYN, 0);
  assert.deepEqual([v.srcPort, v.dstPort, v.seqNumber, v.ackNumber, v.dataOffset, v.headerLength, v.reserved], [47432, 80, 3586905084, 0, 10, 40, 0]);
  assert.deepEqual([v.flags, v.syn, v.ack, v.fin, v.rst, v.psh, v.urg, v.ece, v.cwr, v.ae], [TcpFlags.Syn, true, false, false, false, false, false, false, false, false]);
  assert.deepEqual([v.windowSize, v.checksum, v.urgentPointer, v.optionsOffset, v.optionsLength, v.payloadOffset], [64240, 0x3905, 0, 20, 20, 40]);
  assert.ok(v.verifyChecksum(40, ipv4PseudoHeaderSum(K, ME, IpProtocol.Tcp, 40)));
  assert.ok(verifyTcpChecksum(SYN, 0, 40, FROM_LINUX));
  assert.ok(verifyTcpChecksum(SYN, 0, 40, { version: 4, src: ME, dst: K }), 'the sum does not depend on the order of the addresses');
  assert.ok(!verifyTcpChecksum(SYN, 0, 40, { version: 4, src: K, dst: ipv4(198, 18, 7, 3) }));
});

test('tcp: the option reader walks the SYN options in order', () => {
  const v = new TcpView().bind(SYN, 0);
  const r = new TcpOptionReader().reset(SYN, v.optionsOffset, v.optionsLength);
  const seen: string[] = [];
  while (r.next()) {
    if (r.kind === TcpOptionKind.Mss) seen.push(`mss ${String(r.mss)}@${String(r.offset)}`);
    else if (r.kind === TcpOptionKind.SackPermitted) seen.push(`sackOK/${String(r.length)}`);
    else if (r.kind === TcpOptionKind.Timestamps) seen.push(`ts ${String(r.tsValue)} ${String(r.tsEcho)}`);
    else if (r.kind === TcpOptionKind.Nop) seen.push('nop');
    else if (r.kind === TcpOptionKind.WindowScale) seen.push(`ws ${String(r.windowScale)}`);
  }
  assert.equal(r.error, 0);
  assert.deepEqual(seen, ['mss 1460@20', 'sackOK/2', 'ts 3348319978 0', 'nop', 'ws 10']);
});

test('tcp: parse and emit (into 0xa5 junk) reproduce the SYN byte for byte, options in Linux order', () => {
  assert.deepEqual(parseTcp(SYN, 0, 40, FROM_LINUX), SYN_REPR);
  assert.equal(tcpHeaderLength(SYN_REPR), 40);
  const buf = junk(42);
  assert.equal(emitTcp(SYN_REPR, buf, 1, FROM_LINUX), 40);
  assertBytes(buf, concat(hex('a5'), SYN, hex('a5')));
});

test('tcp: the SYN-ACK and RST-ACK parse and emit back to their bytes', () => {
  const synAck = parseTcp(SYN_ACK, 0, 40, FROM_LINUX);
  assert.deepEqual(synAck, {
    srcPort: 8080,
    dstPort: 40004,
    seqNumber: 0x6d9f6c18,
    ackNumber: 5001,
    flags: TcpFlags.Syn | TcpFlags.Ack,
    windowSize: 65160,
    urgentPointer: 0,
    options: { mss: 1460, windowScale: 10, sackPermitted: true, sackBlocks: [], timestamps: { value: 0x244de5d4, echo: 1 } },
    payloadLength: 0,
  });
  const rst = parseTcp(RST_ACK, 0, 20, FROM_LINUX);
  assert.deepEqual(rst, { srcPort: 9, dstPort: 40003, seqNumber: 0, ackNumber: 1001, flags: TcpFlags.Rst | TcpFlags.Ack, windowSize: 0, urgentPointer: 0, options: NO_TCP_OPTIONS, payloadLength: 0 });
  for (const [repr, bytes] of [[synAck, SYN_ACK], [rst, RST_ACK]] as const) {
    assert.ok(typeof repr === 'object');
    const buf = junk(bytes.length);
    assert.equal(emitTcp(repr, buf, 0, FROM_LINUX), bytes.length);
    assertBytes(buf, bytes);
  }
});

test('tcp: SACK blocks and a payload: parse and emit (payload in place) byte for byte', () => {
  assert.deepEqual(parseTcp(SACK_ACK, 0, SACK_ACK.length, SACK_PSEUDO), SACK_REPR);
  const buf = junk(56);
  buf.set(SACK_ACK.subarray(52), 52);
  assert.equal(emitTcp(SACK_REPR, buf, 0, SACK_PSEUDO), 52);
  assertBytes(buf, SACK_ACK);
  const v = new TcpView().bind(SACK_ACK, 0);
  const r = new TcpOptionReader().reset(SACK_ACK, v.optionsOffset, v.optionsLength);
  while (r.next() && r.kind !== TcpOptionKind.Sack);
  assert.deepEqual([r.kind, r.sackBlockCount, r.sackLeft(0), r.sackRight(0), r.sackLeft(1), r.sackRight(1)], [5, 2, 300, 400, 500, 600]);
});

test('tcp: flag setters and data offset touch only their bits', () => {
  const b = Uint8Array.from(RST_ACK);
  const v = new TcpView().bind(b, 0);
  v.ae = true;
  v.cwr = true;
  v.ece = true;
  v.urg = true;
  v.psh = true;
  v.syn = true;
  v.fin = true;
  v.rst = false;
  v.ack = false;
  v.reserved = 7;
  assert.equal(v.flags, 0x1ff & ~(TcpFlags.Rst | TcpFlags.Ack));
  assert.deepEqual([b[12], b[13]], [0x5f, 0xeb]);
  v.flags = TcpFlags.Ack;
  v.dataOffset = 6;
  v.reserved = 0;
  assert.deepEqual([b[12], b[13], v.headerLength], [0x60, 0x10, 24]);
  v.srcPort = 1;
  v.dstPort = 2;
  v.seqNumber = 0xffffffff;
  v.ackNumber = 3;
  v.windowSize = 4;
  v.urgentPointer = 5;
  v.checksum = 6;
  assertBytes(b, hex('0001 0002 ffff ffff 0000 0003 6010 0004 0006 0005'));
});

test('tcp: Truncated up to the header length, BadHeaderLength below 5 words, BadChecksum', () => {
  for (let n = 0; n < 40; n++) assert.equal(parseTcp(SYN, 0, n, null), WireError.Truncated, `length ${String(n)}`);
  for (const off of [0, 1, 4]) {
    const b = Uint8Array.from(SYN);
    b[12] = off << 4;
    assert.equal(TcpView.check(b, 0, 40), WireError.BadHeaderLength);
  }
  const bad = Uint8Array.from(SYN);
  bad[4]! ^= 1;
  assert.equal(parseTcp(bad, 0, 40, FROM_LINUX), WireError.BadChecksum);
});

test('tcp options: lengths 0 and 1, past the end, or wrong for the kind are Malformed; no reader step leaves the area', () => {
  const cases: Array<[string, string]> = [
    ['length 0', '02 00 0000'],
    ['length 1', '08 01 0000'],
    ['unknown kind, length 1', '1e 01 0000'],
    ['past the end', '0204 05b4 080a 0000'],
    ['kind only, at the end', '0101 01 02'],
    ['MSS of length 3', '02 03 05 01'],
    ['window scale of length 4', '03 04 0a 01'],
    ['SACK-permitted of length 3', '04 03 00 01'],
    ['timestamps of length 8', '08 08 0000 0000 0000 0101'],
    ['SACK with half a block', '05 06 0000 0000'],
    ['SACK with no block', '05 02 0101'],
  ];
  for (const [what, bytes] of cases) {
    const b = hex(bytes);
    assert.equal(parseTcpOptions(b, 0, b.length), WireError.Malformed, what);
    const r = new TcpOptionReader().reset(b, 0, b.length);
    let steps = 0;
    while (r.next()) {
      assert.ok(r.offset >= 0 && r.offset + r.length <= b.length, what);
      assert.ok(++steps <= b.length);
    }
    assert.equal(r.error, WireError.Malformed, what);
  }
});

test('tcp options: unknown kinds are skipped by length; end-of-list stops the walk', () => {
  const b = hex('1e 04 abcd', '0204 0578', '00', '02 00 ffff'); // kind 30 (MPTCP), MSS 1400, EOL, then garbage
  assert.deepEqual(parseTcpOptions(b, 0, b.length), { ...NO_TCP_OPTIONS, mss: 1400 });
  const r = new TcpOptionReader().reset(b, 0, b.length);
  const kinds: number[] = [];
  while (r.next()) kinds.push(r.kind);
  assert.deepEqual(kinds, [30, 2, 0]);
  assert.equal(r.error, 0);
});

test('tcp: emit rejects options over 40 bytes and more than 4 SACK blocks', () => {
  const blocks = (n: number): Array<{ left: number; right: number }> => Array.from({ length: n }, (_, i) => ({ left: i, right: i + 1 }));
  const tooMany = { ...SACK_REPR, options: { ...SACK_REPR.options, timestamps: null, sackBlocks: blocks(5) } };
  assert.throws(() => emitTcp(tooMany, junk(100), 0, SACK_PSEUDO), RangeError);
  const tooLong = { ...SACK_REPR, payloadLength: 0, options: { ...SACK_REPR.options, sackBlocks: blocks(4) } };
  assert.throws(() => emitTcp(tooLong, junk(100), 0, SACK_PSEUDO), RangeError);
  const fits = { ...tooLong, options: { ...tooLong.options, sackBlocks: blocks(3) } };
  assert.equal(emitTcp(fits, junk(100), 0, SACK_PSEUDO), 60);
  assert.equal(TCP_HEADER_LEN, 20);
});
