/** Small byte helpers shared by the buffer code; none allocates for short copies. */

/** A caller-owned, reusable window onto bytes: filled by `NetBuffer.getDataBuffer` without allocating. */
export class ByteSpan {
  bytes: Uint8Array = EMPTY_BYTES;
  offset = 0;
  length = 0;
}

export const EMPTY_BYTES = new Uint8Array(0);

/** Below this a byte loop beats creating a subarray for `set`. */
const SHORT_COPY = 64;

/** Copies `n` bytes with memmove semantics: overlapping source and destination (same buffer) are exact. */
export function copyBytes(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  // The forward byte loop would smear an overlapping forward shift, so it only runs across distinct buffers.
  if (n <= SHORT_COPY && src.buffer !== dst.buffer) {
    for (let i = 0; i < n; i++) dst[dstOffset + i] = src[srcOffset + i]!;
  } else if (src === dst) {
    dst.copyWithin(dstOffset, srcOffset, srcOffset + n);
  } else {
    dst.set(src.subarray(srcOffset, srcOffset + n), dstOffset);
  }
}
