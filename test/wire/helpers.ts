/**
 * Shared by the wire tests: hex byte vectors written one field per line, junk-filled emit buffers
 * (smoltcp's `test_construct`: a field the emitter forgets stays 0xa5 and shows in the comparison),
 * and the frame corpus in test/fuzz/corpus/wire/.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bytes from hex groups; whitespace is ignored so each field can sit on its own line. */
export function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new TypeError(`bad hex: ${s}`);
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export const JUNK = 0xa5;

/** A buffer of `n` bytes, every one 0xa5. */
export function junk(n: number): Uint8Array {
  return new Uint8Array(n).fill(JUNK);
}

/** Concatenation. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte-by-byte comparison with the offset of the first difference in the message. */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  if (actual.length === expected.length && actual.every((x, i) => x === expected[i])) return;
  const i = actual.findIndex((x, j) => x !== expected[j]);
  assert.fail(`${what} differ${i >= 0 ? ` first at byte ${String(i)}` : ''} (length ${String(actual.length)} vs ${String(expected.length)})\n  actual   ${toHex(actual)}\n  expected ${toHex(expected)}`);
}

/** The corpus lives in the source tree (tests run from dist/test/wire/). */
export const CORPUS_DIR = fileURLToPath(new URL('../../../test/fuzz/corpus/wire/', import.meta.url));

export function corpusFrame(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(CORPUS_DIR, `${name}.bin`)));
}

export function corpusNames(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((n) => n.endsWith('.bin'))
    .map((n) => n.slice(0, -4))
    .sort();
}
