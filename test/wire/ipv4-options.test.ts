/**
 * The IPv4 option walk (RFC 791 §3.1, with the checks Linux's ip_options_compile makes): end-of-list
 * stops it (what follows is padding), no-operation is one byte, every other option has a length octet
 * of at least 2 that stays inside the header; record route and source routes need a pointer ≥ 4,
 * timestamps a length ≥ 4 and a pointer ≥ 5. Anything else is `Malformed`, and `parseIpv4` rejects
 * such a header. Vectors are written out byte by byte; a property test checks the reader against a
 * straightforward model on random option bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Ipv4OptionKind, Ipv4OptionReader, WireError, checkIpv4Options, parseIpv4 } from '../../src/wire/index.js';
import { concat, corpusFrame, hex } from './helpers.js';

/** The walk as [kind, length] pairs, and the error it ended with. */
function walk(b: Uint8Array, offset = 0, length = b.length - offset): { options: [number, number][]; error: number } {
  const r = new Ipv4OptionReader().reset(b, offset, length);
  const options: [number, number][] = [];
  let steps = 0;
  while (r.next()) {
    assert.ok(r.offset >= offset && r.offset + r.length <= offset + length, 'an option lies inside the area');
    assert.ok(++steps <= length, 'at most one step per byte');
    options.push([r.kind, r.length]);
  }
  return { options, error: r.error };
}

/** A 20-byte header with `options` (IHL from their length), header checksum computed here. */
function header(options: Uint8Array, payload = 8): Uint8Array {
  const hl = 20 + options.length;
  const h = concat(hex('4', (hl >> 2).toString(16), '00', (hl + payload).toString(16).padStart(4, '0'), '1234 4000 40 01 0000 c6120001 c6120002'), options, new Uint8Array(payload));
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return h;
}

test('ipv4 options: NOP, router alert, end-of-list; the bytes after end-of-list are padding, not options', () => {
  const b = hex('01', '01', '94 04 0000', '00', '02 00'); // NOP NOP RA(0) EOL, then bytes that would be malformed
  assert.deepEqual(walk(b), { options: [[1, 1], [1, 1], [148, 4], [0, 1]], error: 0 });
  assert.equal(checkIpv4Options(b, 0, b.length), 0);
  assert.deepEqual(walk(hex('01 01 01 01')), { options: [[1, 1], [1, 1], [1, 1], [1, 1]], error: 0 });
  assert.deepEqual(walk(hex('00 00 00 00')), { options: [[0, 1]], error: 0 });
  assert.deepEqual(walk(new Uint8Array(0)), { options: [], error: 0 });
  // Unknown kinds are skipped by their length.
  assert.deepEqual(walk(hex('1e 06 abcdef01', '01 00')), { options: [[30, 6], [1, 1], [0, 1]], error: 0 });
  assert.equal(Ipv4OptionKind.RouterAlert, 148);
});

test('ipv4 options: record route, timestamps and a source route with valid pointers pass', () => {
  // ping -R from Linux: NOP, then record route of 39 bytes (room for 9 addresses), pointer 8 (one recorded).
  const rr = corpusFrame('linux-icmp-echo-request-record-route').subarray(14 + 20, 14 + 60);
  assert.deepEqual(walk(rr), { options: [[1, 1], [7, 39]], error: 0 });
  // Timestamps only (flag 0), room for 2, pointer 5 (empty); loose source route with one hop, pointer 4.
  assert.deepEqual(walk(hex('44 0c 05 00 00000000 00000000')), { options: [[68, 12]], error: 0 });
  assert.deepEqual(walk(hex('83 07 04 c6120003', '00')), { options: [[131, 7], [0, 1]], error: 0 });
  // A full record route: the pointer is past the end (length + 1).
  assert.deepEqual(walk(hex('07 07 08 c6120003', '00')), { options: [[7, 7], [0, 1]], error: 0 });
});

const MALFORMED: Array<[string, string]> = [
  ['length 0', '94 00 0000'],
  ['length 1', '94 01 0000'],
  ['length 1 after NOPs', '01 01 44 01'],
  ['length past the header', '94 08 0000'],
  ['a kind without its length octet at the end', '01 01 01 94'],
  ['record route of length 2 (no pointer)', '07 02 0000'],
  ['record route with pointer 3', '07 07 03 00000000 00'],
  ['strict source route with pointer 0', '89 07 00 c6120003 00'],
  ['loose source route with pointer 3', '83 07 03 c6120003 00'],
  ['timestamps of length 3', '44 03 05 00'],
  ['timestamps with pointer 4', '44 08 04 00 00000000'],
];

test('ipv4 options: each malformed shape stops the walk with Malformed', () => {
  for (const [what, bytes] of MALFORMED) {
    const b = hex(bytes);
    assert.equal(walk(b).error, WireError.Malformed, what);
    assert.equal(checkIpv4Options(b, 0, b.length), WireError.Malformed, what);
  }
});

test('ipv4 options: parseIpv4 rejects a header with malformed options, accepts the valid ones', () => {
  for (const [what, bytes] of MALFORMED) {
    const o = hex(bytes);
    const padded = concat(o, new Uint8Array((4 - (o.length % 4)) % 4));
    const p = header(padded);
    assert.equal(parseIpv4(p, 0, p.length), WireError.Malformed, what);
  }
  const ok = header(hex('01 01 94 04 0000 00 000000'));
  const r = parseIpv4(ok, 0, ok.length);
  assert.ok(typeof r === 'object');
  assert.deepEqual(Array.from(r.options), [1, 1, 0x94, 4, 0, 0, 0, 0]);
});

test('ipv4 options: a range outside the buffer yields nothing and Truncated', () => {
  const b = new Uint8Array(8).fill(1);
  const r = new Ipv4OptionReader().reset(b, 4, 8);
  assert.equal(r.next(), false);
  assert.equal(r.error, WireError.Truncated);
  assert.equal(checkIpv4Options(b, -1, 4), WireError.Truncated);
});

/** The rules, written plainly: 0 or Malformed. */
function model(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const kind = b[i]!;
    if (kind === 0) return 0;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= b.length) return WireError.Malformed;
    const len = b[i + 1]!;
    if (len < 2 || i + len > b.length) return WireError.Malformed;
    if ((kind === 7 || kind === 131 || kind === 137) && (len < 3 || b[i + 2]! < 4)) return WireError.Malformed;
    if (kind === 68 && (len < 4 || b[i + 2]! < 5)) return WireError.Malformed;
    i += len;
  }
  return 0;
}

test('ipv4 options: on random option bytes the reader agrees with the model and never leaves the area', () => {
  const kinds = fc.constantFrom(0, 1, 7, 68, 131, 137, 148, 30, 255);
  const bytes = fc.array(fc.oneof(kinds, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 255 })), { maxLength: 40 });
  fc.assert(
    fc.property(bytes, fc.integer({ min: 0, max: 3 }), (arr, pad) => {
      const area = Uint8Array.from(arr);
      const b = concat(new Uint8Array(pad).fill(0xee), area, new Uint8Array(3).fill(0xee));
      const w = walk(b, pad, area.length);
      assert.equal(w.error, model(area));
      assert.equal(checkIpv4Options(b, pad, area.length), model(area));
    }),
    { numRuns: 3000 },
  );
});
