/**
 * Byte-exact segments the engine emits, written out field by field: a SYN with MSS, SACK-permitted,
 * timestamps and window scale (in the same option layout as Linux's SYN in the wire corpus), the
 * SYN-ACK to a SYN that offered only MSS, a data ACK with timestamps and SACK blocks, and the RST for
 * a closed port. The host is a fixed clock and a fixed random sequence, so ISN and timestamps are
 * computed here with the same keyed hash (checked against reference vectors in units.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TcpLayer } from '../../../src/drivers/protocol/tcpip/tcp/index.js';
import { FlowHasher, HashDomain } from '../../../src/drivers/protocol/tcpip/tcp/isn.js';
import type { TcpFlow, TcpHost, TcpOutputBuffer, TcpRoute, TcpTimer } from '../../../src/drivers/protocol/tcpip/tcp/host.js';
import { TcpOptionReader } from '../../../src/wire/index.js';
import { assertBytes, corpusFrame, hex } from '../../wire/helpers.js';
import { F, buildSegment, tcb } from '../../support/tcp-inject.js';

const KEY = [0x11111111, 0x22222222, 0x33333333, 0x44444444];
const ME = new Uint8Array([198, 18, 0, 1]);
const PEER = new Uint8Array([198, 18, 0, 2]);
const NOW = 1000;

class FixedHost implements TcpHost {
  readonly sent: Uint8Array[] = [];
  #n = 0;
  constructor(readonly randoms: number[]) {}
  now(): number {
    return NOW;
  }
  createTimer(): TcpTimer {
    return { set() {}, cancel() {}, free() {} };
  }
  random32(): number {
    return this.randoms[this.#n++ % this.randoms.length]!;
  }
  sourceAddress(): Uint8Array {
    return ME;
  }
  route(): TcpRoute {
    return { mtu: 1500, ipHeaderLength: 20, lsoMaxPayload: 0, lsoMinSegments: 2, generation: 1 };
  }
  allocate(_f: TcpFlow, length: number): TcpOutputBuffer {
    return { bytes: new Uint8Array(length + 8).fill(0xa5), offset: 8, capacity: length };
  }
  transmit(_f: TcpFlow, buffer: TcpOutputBuffer, length: number): void {
    this.sent.push(buffer.bytes.slice(buffer.offset, buffer.offset + length));
  }
  release(): void {}
}

function hexOf(n: number, bytes: number): string {
  return (n >>> 0).toString(16).padStart(2 * bytes, '0');
}

let keyAt = 0;
const hasher = new FlowHasher(() => KEY[keyAt++ % KEY.length]!);

test('wire: the SYN of connect() — ISN, options MSS 1460, SACK-permitted, timestamps, window scale 10', () => {
  // Four words for the secret, then the ephemeral port: 49152 + 0xabcd % 16384 = 60365.
  const host = new FixedHost([...[0x11111111, 0x22222222, 0x33333333, 0x44444444], 0xabcd]);
  const layer = new TcpLayer(host);
  layer.connect({ family: 4, address: PEER, port: 80 }, {}, {});
  const port = 60365;
  const isn = (Math.floor(NOW * 250) + hasher.hash(HashDomain.Isn, 4, ME, port, PEER, 80)) >>> 0;
  const tsval = (NOW + hasher.hash(HashDomain.TimestampOffset, 4, ME, port, PEER, 80)) >>> 0;
  assert.equal(host.sent.length, 1);
  assertBytes(
    host.sent[0]!,
    hex(
      'ebcd 0050', //        60365 > 80
      hexOf(isn, 4), //      RFC 6528 ISN
      '0000 0000', //        no ACK
      'a0 02', //            data offset 10 (40 bytes), SYN
      'ffff', //             window 65535 (never scaled in a SYN)
      '0000', //             checksum left to the host
      '0000', //             urgent pointer
      '0204 05b4', //        MSS 1460 (1500 − 20 − 20)
      '0402', //             SACK permitted
      '080a', hexOf(tsval, 4), '0000 0000', // timestamps, echo 0
      '01 0303 0a', //       NOP, window scale 10 (the 32 MiB receive buffer max needs 2^10)
    ),
    'SYN',
  );
  // The same option kinds and lengths, in the same order, as the SYN Linux 6.18 sent.
  const linux = corpusFrame('linux-tcp-syn').subarray(14 + 20);
  const layout = (seg: Uint8Array): string[] => {
    const r = new TcpOptionReader().reset(seg, 20, ((seg[12]! >> 4) << 2) - 20);
    const out: string[] = [];
    while (r.next()) out.push(`${String(r.kind)}/${String(r.length)}`);
    return out;
  };
  assert.deepEqual(layout(host.sent[0]!), layout(linux));
});

test('wire: the SYN-ACK to a SYN that offered only an MSS carries only an MSS', () => {
  const host = new FixedHost([0x11111111, 0x22222222, 0x33333333, 0x44444444]);
  const layer = new TcpLayer(host);
  layer.listen({ family: 4, address: new Uint8Array(4), port: 80 }, {}, {});
  const peerFlow: TcpFlow = { family: 4, localAddress: PEER, localPort: 40000, remoteAddress: ME, remotePort: 80 };
  const syn = buildSegment(peerFlow, { seq: 5000, flags: F.Syn, window: 8192, options: { mss: 1200 } });
  layer.input({ family: 4, localAddress: ME, localPort: 80, remoteAddress: PEER, remotePort: 40000 }, syn, 0, syn.length, 1);
  const isn = (Math.floor(NOW * 250) + hasher.hash(HashDomain.Isn, 4, ME, 80, PEER, 40000)) >>> 0;
  assert.equal(host.sent.length, 1);
  assertBytes(
    host.sent[0]!,
    hex(
      '0050 9c40', //   80 > 40000
      hexOf(isn, 4),
      '0000 1389', //   ACK 5001
      '60 12', //       data offset 6 (24 bytes), SYN ACK
      'ffff', //        window
      '0000 0000', //   checksum (host), urgent pointer
      '0204 05b4', //   MSS 1460: what this host can take
    ),
    'SYN-ACK',
  );
  const t = tcb([...layer.connections()][0]!);
  // Our segments to it are sized by its MSS; no scaling, SACK or timestamps.
  assert.equal(t.mssBase, 1200);
  assert.equal(t.wscaleOk || t.sackOk || t.tsOk, false);
});

test('wire: a data ACK with timestamps and two SACK blocks, and the RST of a closed port', () => {
  const host = new FixedHost([0x11111111, 0x22222222, 0x33333333, 0x44444444]);
  const layer = new TcpLayer(host);
  layer.listen({ family: 4, address: new Uint8Array(4), port: 80 }, {}, {});
  const peerFlow: TcpFlow = { family: 4, localAddress: PEER, localPort: 40000, remoteAddress: ME, remotePort: 80 };
  const toMe: TcpFlow = { family: 4, localAddress: ME, localPort: 80, remoteAddress: PEER, remotePort: 40000 };
  const send = (spec: Parameters<typeof buildSegment>[1]): void => {
    const b = buildSegment(peerFlow, spec);
    layer.input(toMe, b, 0, b.length, 1);
  };
  send({ seq: 5000, flags: F.Syn, options: { mss: 1460, sackPermitted: true, windowScale: 7, timestamps: { value: 77, echo: 0 } } });
  const isn = (Math.floor(NOW * 250) + hasher.hash(HashDomain.Isn, 4, ME, 80, PEER, 40000)) >>> 0;
  const tsval = (NOW + hasher.hash(HashDomain.TimestampOffset, 4, ME, 80, PEER, 40000)) >>> 0;
  send({ seq: 5001, ack: isn + 1, flags: F.Ack, options: { timestamps: { value: 78, echo: tsval } } });
  // Two out-of-order pieces: 5101–5201, then 5301–5401.
  send({ seq: 5101, ack: isn + 1, flags: F.Ack, payload: new Uint8Array(100), options: { timestamps: { value: 79, echo: tsval } } });
  send({ seq: 5301, ack: isn + 1, flags: F.Ack, payload: new Uint8Array(100), options: { timestamps: { value: 80, echo: tsval } } });
  const last = host.sent.at(-1)!;
  // The window: the initial 128 KiB receive buffer with shift 10 is 128; 300 bytes beyond RCV.NXT do not move the edge.
  assertBytes(
    last,
    hex(
      '0050 9c40',
      hexOf(isn + 1, 4), //  SND.NXT
      '0000 1389', //        ACK 5001: the hole
      'd0 10', //            data offset 13 (52 bytes), ACK
      '0080', //             window 128 << 10 = 128 KiB
      '0000 0000',
      '0101 080a', hexOf(tsval, 4), '0000 004e', // NOP NOP, timestamps, echo 78 (TS.Recent: 79 and 80 were not at Last.ACK.sent)
      '0101 0512', //        NOP NOP, SACK, 2 blocks
      '0000 14b5 0000 1519', // the most recent block first: 5301–5401
      '0000 13ed 0000 1451', // then 5101–5201
    ),
    'SACK ACK',
  );
  // A SYN to a port nobody listens on: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 §3.10.7.1).
  const toClosed = buildSegment({ ...peerFlow, localPort: 40001, remotePort: 81 }, { seq: 0xfffffff0, flags: F.Syn, options: { mss: 1460 } });
  layer.input({ ...toMe, localPort: 81, remotePort: 40001 }, toClosed, 0, toClosed.length, 1);
  assertBytes(host.sent.at(-1)!, hex('0051 9c41', '0000 0000', 'ffff fff1', '50 14', '0000', '0000 0000'), 'RST');
  // An ACK to it: <SEQ=SEG.ACK><CTL=RST>.
  const ack = buildSegment({ ...peerFlow, localPort: 40001, remotePort: 81 }, { seq: 7, ack: 0x12345678, flags: F.Ack });
  layer.input({ ...toMe, localPort: 81, remotePort: 40001 }, ack, 0, ack.length, 1);
  assertBytes(host.sent.at(-1)!, hex('0051 9c41', '1234 5678', '0000 0000', '50 04', '0000', '0000 0000'), 'RST for an ACK');
  assert.equal(layer.counters.outRsts, 2);
});
