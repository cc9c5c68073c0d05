/**
 * A byte ring: the send buffer (bytes from SND.UNA on) and the receive buffer (bytes the application
 * has not read yet, followed by room where out-of-order data is written straight into its place).
 * Positions are offsets from the head. The ring never allocates: buffers.ts moves it into a larger or
 * smaller block (`moveTo`) when the connection's buffer grows or shrinks; capacity 0 means no memory.
 */
import { copyBytes } from './copy.js';

export class ByteRing {
  buffer: Uint8Array;
  capacity: number;
  /** Index of the first byte in `buffer`. */
  head = 0;
  /** Bytes stored from the head on. */
  length = 0;

  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
    this.capacity = buffer.length;
  }

  /**
   * Continues in `to` (its old buffer is the caller's to give back): the first `extent` bytes from the
   * head (stored data, and out-of-order data beyond it) are copied to the start of `to`.
   */
  moveTo(to: Uint8Array, extent: number): void {
    const n = Math.min(extent, this.capacity, to.length);
    if (n > 0) this.peek(to, 0, 0, n);
    this.buffer = to;
    this.capacity = to.length;
    this.head = 0;
  }

  get free(): number {
    return this.capacity - this.length;
  }

  /** Appends up to `n` bytes; returns how many fitted. */
  write(src: Uint8Array, from: number, n: number): number {
    const k = Math.min(n, this.capacity - this.length);
    if (k > 0) {
      this.writeAt(this.length, src, from, k);
      this.length += k;
    }
    return k;
  }

  /**
   * Writes `n` bytes at `offset` from the head without changing `length` (out-of-order data beyond
   * the stored bytes). The caller guarantees `offset + n <= capacity`.
   */
  writeAt(offset: number, src: Uint8Array, from: number, n: number): void {
    const cap = this.capacity;
    let at = this.head + offset;
    if (at >= cap) at -= cap;
    const first = Math.min(n, cap - at);
    copyBytes(this.buffer, at, src, from, first);
    if (first < n) copyBytes(this.buffer, 0, src, from + first, n - first);
  }

  /** Makes `n` more bytes (already written with `writeAt`) part of the stored data. */
  commit(n: number): void {
    this.length += n;
  }

  /** Copies `n` stored bytes starting `offset` from the head into `dst[at]`; the caller checks the range. */
  peek(dst: Uint8Array, at: number, offset: number, n: number): void {
    const cap = this.capacity;
    let from = this.head + offset;
    if (from >= cap) from -= cap;
    const first = Math.min(n, cap - from);
    copyBytes(dst, at, this.buffer, from, first);
    if (first < n) copyBytes(dst, at + first, this.buffer, 0, n - first);
  }

  /** Drops `n` bytes from the head. */
  consume(n: number): void {
    const k = Math.min(n, this.length);
    this.length -= k;
    // Never rewound to 0 when empty: out-of-order data may sit beyond the tail, placed from the head.
    this.head += k;
    if (this.head >= this.capacity) this.head -= this.capacity;
  }

  /**
   * Moves the head `n` bytes on while nothing is stored (`length` 0): in-order bytes went elsewhere
   * (the receive chunks, chunks.ts), and out-of-order data stays placed relative to the new head.
   */
  skip(n: number): void {
    if (this.capacity === 0) return;
    this.head = (this.head + n) % this.capacity;
  }

  /** Copies out and consumes up to `n` bytes; returns how many. */
  read(dst: Uint8Array, at: number, n: number): number {
    const k = Math.min(n, this.length);
    if (k > 0) {
      this.peek(dst, at, 0, k);
      this.consume(k);
    }
    return k;
  }
}
