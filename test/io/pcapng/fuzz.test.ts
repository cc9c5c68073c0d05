/**
 * Fuzzing the capture reader (issue: bad input). Inputs: random bytes behind real magic numbers, and
 * mutations of the corpus in test/fuzz/corpus/pcapng/ (files written by tsndis, tcpdump and tshark):
 * truncation at every offset, every block/record length field set to boundary values, random byte
 * flips. Whatever comes in, the reader never throws, terminates (each `next` consumes ≥ 4 bytes or
 * stops), returns no more packet bytes than it was given, buffers at most one block plus a chunk, and
 * gives the same answer whether the input arrives at once or in small chunks.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import fc from 'fast-check';
import { CaptureReader, CaptureRecord, ReadStatus, readCapture, type CaptureContents } from '../../../src/io/pcapng/index.js';

/** The corpus lives in the source tree (tests run from dist/test/io/pcapng/). */
const CORPUS_DIR = fileURLToPath(new URL('../../../../test/fuzz/corpus/pcapng/', import.meta.url));
const CORPUS = readdirSync(CORPUS_DIR)
  .filter((name) => /\.pcap(ng)?$/.test(name))
  .sort()
  .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(CORPUS_DIR, name))) }));
/** More with TSNDIS_FUZZ_RUNS=n. */
const RUNS = Number(process.env['TSNDIS_FUZZ_RUNS'] ?? 500);
const MAX_BLOCK = 1 << 20;

/** Reads `input` in `chunk`-byte pieces, checking the invariants on the way. */
function readChecked(input: Uint8Array, chunk: number): { status: number; records: number; bytes: number; error: string | null } {
  const reader = new CaptureReader({ maxBlockBytes: MAX_BLOCK });
  const rec = new CaptureRecord();
  let fed = 0;
  let calls = 0;
  let records = 0;
  let bytes = 0;
  const bound = input.length / 4 + 2 * Math.ceil(input.length / chunk) + 10;
  for (;;) {
    assert.ok(++calls <= bound, `no progress after ${calls} calls on ${input.length} bytes`);
    const st = reader.next(rec);
    assert.ok(reader.buffered <= Math.max(MAX_BLOCK, 64 * 1024) + chunk, `buffered ${reader.buffered}`);
    if (st === ReadStatus.Record) {
      records++;
      bytes += rec.capturedLength;
      assert.ok(rec.offset >= 0 && rec.offset + rec.capturedLength <= rec.bytes.length, 'record view inside the buffer');
      assert.ok(rec.nanoseconds >= 0 && rec.nanoseconds < 1e9);
      assert.ok(rec.direction >= 0 && rec.direction <= 3);
    } else if (st === ReadStatus.NeedMore) {
      if (fed === input.length) reader.end();
      else {
        const n = Math.min(chunk, input.length - fed);
        reader.push(input, fed, n);
        fed += n;
      }
    } else {
      assert.ok(bytes <= input.length, 'no more packet bytes than input bytes');
      assert.ok(records <= input.length / 12 + 1);
      if (st === ReadStatus.Error) assert.ok(reader.error !== null && typeof reader.error.code === 'string');
      return { status: st, records, bytes, error: reader.error?.code ?? null };
    }
  }
}

function summary(c: CaptureContents): unknown {
  return [c.error?.code ?? null, c.frames.length, c.frames.map((f) => f.data.length).join(',')];
}

/** Every invariant, at once and in `chunk`-byte pieces, and both agree. */
function check(input: Uint8Array, chunk: number): void {
  const a = readChecked(input, input.length + 1);
  const b = readChecked(input, chunk);
  assert.deepEqual(b, a, 'chunking does not change the outcome');
  assert.deepEqual(summary(readCapture(input, { chunkSize: chunk, maxBlockBytes: MAX_BLOCK })), summary(readCapture(input, { maxBlockBytes: MAX_BLOCK })));
}

test('fuzz corpus: every file reads as expected', () => {
  const expected: Record<string, [string | null, number]> = {
    'big-endian-two-sections.pcapng': [null, 3],
    'classic-be-nsec.pcap': [null, 2],
    'classic-le-usec.pcap': [null, 2],
    'spb-and-other-blocks.pcapng': [null, 2],
    'truncated-epb.pcapng': ['truncated', 1],
    'tsndis-two-interfaces.pcapng': [null, 3],
  };
  for (const { name, bytes } of CORPUS) {
    const r = readCapture(bytes);
    if (name in expected) assert.deepEqual([r.error?.code ?? null, r.frames.length], expected[name], name);
    else assert.equal(r.error, null, `${name}: ${r.error?.toString()}`); // captures made by tcpdump / tshark
  }
  assert.ok(CORPUS.length >= 6);
});

test('fuzz: truncation at every offset of every corpus file', () => {
  for (const { name, bytes } of CORPUS) {
    for (let n = 0; n <= bytes.length; n++) {
      try {
        check(bytes.subarray(0, n), 7);
      } catch (e) {
        throw new Error(`${name} truncated to ${n} bytes: ${(e as Error).message}`);
      }
    }
  }
});

/** File offsets of the length fields (pcapng block lengths and trailers, pcap included lengths). */
function lengthFields(b: Uint8Array): number[] {
  const r = readCapture(b);
  const out: number[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (r.format === 'pcap') {
    const le = v.getUint32(0, true) === 0xa1b2c3d4 || v.getUint32(0, true) === 0xa1b23c4d;
    for (let o = 24; o + 16 <= b.length; o += 16 + v.getUint32(o + 8, le)) out.push(o + 8, o + 12);
    return out;
  }
  let le = true;
  for (let o = 0; o + 12 <= b.length; ) {
    if (v.getUint32(o, true) === 0x0a0d0d0a) le = v.getUint32(o + 8, true) === 0x1a2b3c4d;
    const total = v.getUint32(o + 4, le);
    out.push(o + 4);
    if (total < 12 || o + total > b.length) break;
    out.push(o + total - 4);
    o += total;
  }
  return out;
}

test('fuzz: every length field set to boundary values', () => {
  const values = [0, 1, 4, 8, 11, 12, 13, 16, 28, 0x7ffffffc, 0x7fffffff, 0xfffffffc, 0xffffffff, 1 << 20, (1 << 20) + 4];
  for (const { name, bytes } of CORPUS) {
    for (const at of lengthFields(bytes)) {
      for (const value of values) {
        for (const le of [true, false]) {
          const m = bytes.slice();
          new DataView(m.buffer).setUint32(at, value >>> 0, le);
          try {
            check(m, 13);
          } catch (e) {
            throw new Error(`${name}: length at ${at} = ${value} (${le ? 'LE' : 'BE'}): ${(e as Error).message}`);
          }
        }
      }
    }
  }
});

test('fuzz: random byte flips and splices of corpus files', () => {
  const corpusFile = fc.constantFrom(...CORPUS.map((c) => c.bytes));
  const mutation = fc.tuple(corpusFile, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.option(fc.tuple(fc.nat(), fc.nat()))).map(([b, flips, cut]) => {
    let m = b.slice();
    for (const [pos, val] of flips) m[pos % m.length] = val;
    if (cut !== null) {
      const [from, len] = cut;
      const start = from % m.length;
      m = Uint8Array.from([...m.subarray(0, start), ...m.subarray(Math.min(m.length, start + (len % 64)))]);
    }
    return m;
  });
  fc.assert(fc.property(mutation, fc.integer({ min: 1, max: 64 }), (m, chunk) => check(m, chunk)), { numRuns: RUNS });
});

test('fuzz: random bytes behind real magic numbers', () => {
  const magic = fc.constantFrom(
    Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a), Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1), Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4),
    Uint8Array.of(0x4d, 0x3c, 0xb2, 0xa1), Uint8Array.of(0xa1, 0xb2, 0x3c, 0x4d), new Uint8Array(0),
  );
  const input = fc.tuple(magic, fc.uint8Array({ maxLength: 2048 })).map(([m, rest]) => Uint8Array.from([...m, ...rest]));
  fc.assert(fc.property(input, fc.integer({ min: 1, max: 128 }), (b, chunk) => check(b, chunk)), { numRuns: RUNS });
  // A well-formed SHB followed by random blocks gets past the header into the block loop.
  const file = CORPUS.find((c) => c.name === 'tsndis-two-interfaces.pcapng')!.bytes;
  const shb = file.subarray(0, new DataView(file.buffer, file.byteOffset).getUint32(4, true));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: 1, max: 128 }), (rest, chunk) => check(Uint8Array.from([...shb, ...rest]), chunk)), { numRuns: RUNS });
});
